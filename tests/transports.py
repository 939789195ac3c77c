"""The station test modules run on each WebSocket client library installed (issue 16: picows
is the default only while both pass the same station tests): `pytestmark = [..., EACH]`, the
fixture `ws_transport` in conftest.py."""

import pytest

EACH = pytest.mark.usefixtures("ws_transport")
