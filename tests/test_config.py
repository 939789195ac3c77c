"""config.json, EVSIM_* and overrides -> Settings; errors a user can make -> one line."""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from loguru import logger

from simulator.config import Settings
from simulator.config_error import ConfigError
from simulator.config_loading import load_settings

REPO = Path(__file__).resolve().parent.parent


def write_json(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))
    return path


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    return tmp_path / "config" / "config.json"


@pytest.fixture
def warnings() -> Iterator[list[str]]:
    messages: list[str] = []
    sink = logger.add(lambda message: messages.append(message.record["message"]), level="WARNING")
    yield messages
    logger.remove(sink)


def load(path: Path, data: Any = None, **kwargs: Any) -> Settings:
    if data is not None:
        write_json(path, data)
    kwargs.setdefault("environ", {})
    return load_settings(path, **kwargs)


def error_of(path: Path, data: Any = None, **kwargs: Any) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load(path, data, **kwargs)
    message = str(caught.value)
    assert "\n" not in message
    return caught.value


# --- defaults and keys --------------------------------------------------------------------------


def test_defaults_are_the_typescript_simulators(config_file: Path) -> None:
    settings = load(config_file, {})

    assert settings.supervision_urls == []
    assert settings.supervision_url_distribution == "charging-station-affinity"
    assert settings.log_statistics_interval == 60
    assert settings.log_console is False
    assert settings.log_format == "simple"
    assert settings.log_rotate is True
    assert settings.log_max_files == 7
    assert settings.log_level == "info"
    assert settings.loguru_level == "INFO"
    assert settings.log_file == "combined.log"
    assert settings.log_error_file == "error.log"
    worker = settings.worker
    assert worker.process_type == "workerSet"
    assert worker.start_delay == 500
    assert worker.element_start_delay == 0
    assert worker.elements_per_worker == "auto"  # the TS simulator's 4.x README
    assert worker.pool_min_size == 4
    assert worker.pool_max_size == 16
    assert worker.pool_strategy == "ROUND_ROBIN"
    ui = settings.ui_server
    assert ui.enabled is True
    assert ui.type == "ws"
    assert (ui.options.host, ui.options.port) == ("localhost", 8080)
    assert ui.authentication.enabled is False
    assert ui.authentication.type == "basic-auth"
    assert settings.performance_storage.enabled is False
    assert settings.performance_storage.type == "jsonfile"
    assert settings.performance_storage.uri is None
    assert settings.station_template_urls == []
    assert settings.seed == 0
    assert settings.state_dir == Path("state")


def test_camel_case_keys_fill_snake_case_attributes(config_file: Path) -> None:
    settings = load(
        config_file,
        {
            "supervisionUrls": ["ws://a:1", "wss://b/ocpp"],
            "supervisionUrlDistribution": "round-robin",
            "logStatisticsInterval": 10,
            "logConsole": True,
            "logFormat": "json",
            "logRotate": False,
            "logMaxFiles": 3,
            "logLevel": "debug",
            "logFile": "x.log",
            "logErrorFile": "y.log",
            "worker": {
                "processType": "dynamicPool",
                "startDelay": 1,
                "elementStartDelay": 2,
                "elementsPerWorker": "all",
                "poolMinSize": 1,
                "poolMaxSize": 2,
                "poolStrategy": "LEAST_USED",
            },
            "uiServer": {
                "enabled": False,
                "type": "http",
                "options": {"host": "0.0.0.0", "port": 9000},
                "authentication": {
                    "enabled": True,
                    "type": "protocol-basic-auth",
                    "username": "u",
                    "password": "p",
                },
            },
            "performanceStorage": {"enabled": True, "type": "sqlite", "uri": "file:///tmp/p.db"},
            "stationTemplateUrls": [{"file": "a.json", "numberOfStations": 4}],
            "seed": 42,
            "stateDir": "/var/lib/evsim",
        },
    )

    assert settings.supervision_urls == ["ws://a:1", "wss://b/ocpp"]
    assert settings.supervision_url_distribution == "round-robin"
    assert settings.log_statistics_interval == 10
    assert settings.log_level == "debug"
    assert settings.worker.process_type == "dynamicPool"
    assert settings.worker.elements_per_worker == "all"
    assert settings.worker.pool_strategy == "LEAST_USED"
    assert settings.ui_server.type == "http"
    assert settings.ui_server.options.port == 9000
    assert settings.ui_server.authentication.username == "u"
    assert settings.performance_storage.type == "sqlite"
    assert settings.performance_storage.uri == "file:///tmp/p.db"
    assert settings.station_template_urls[0].file == "a.json"
    assert settings.station_template_urls[0].number_of_stations == 4
    assert settings.seed == 42
    assert settings.state_dir == Path("/var/lib/evsim")


@pytest.mark.key("supervisionUrls")
def test_a_single_supervision_url_becomes_a_list(config_file: Path) -> None:
    assert load(config_file, {"supervisionUrls": "ws://csms:8180"}).supervision_urls == [
        "ws://csms:8180"
    ]
    assert load(config_file, {"supervisionUrls": ""}).supervision_urls == []


@pytest.mark.key("performanceStorage.uri")
def test_performance_storage_accepts_the_readmes_uri_spelling(config_file: Path) -> None:
    settings = load(config_file, {"performanceStorage": {"URI": "mongodb://db:27017/evsim"}})
    assert settings.performance_storage.uri == "mongodb://db:27017/evsim"


@pytest.mark.key("worker.elementsPerWorker")
@pytest.mark.parametrize("value", [1, 8, "auto", "all"])
def test_elements_per_worker_is_a_count_or_auto_or_all(config_file: Path, value: Any) -> None:
    settings = load(config_file, {"worker": {"elementsPerWorker": value}})
    assert settings.worker.elements_per_worker == value


@pytest.mark.key("logLevel")
@pytest.mark.parametrize(
    ("level", "loguru"),
    [
        ("emerg", "CRITICAL"),
        ("alert", "CRITICAL"),
        ("crit", "CRITICAL"),
        ("error", "ERROR"),
        ("warning", "WARNING"),
        ("notice", "SUCCESS"),
        ("info", "INFO"),
        ("debug", "DEBUG"),
        ("TRACE", "TRACE"),
        ("SUCCESS", "SUCCESS"),
        ("CRITICAL", "CRITICAL"),
        ("Debug", "DEBUG"),
    ],
)
def test_winston_and_loguru_log_levels_map_to_loguru(
    config_file: Path, level: str, loguru: str
) -> None:
    settings = load(config_file, {"logLevel": level})
    assert settings.log_level == level
    assert settings.loguru_level == loguru


def test_settings_know_their_file(config_file: Path) -> None:
    settings = load(config_file, {})
    assert settings.config_path == config_file
    assert settings.config_dir == config_file.parent
    assert settings.resolve("idtags.json") == config_file.parent / "idtags.json"
    assert settings.resolve("/abs/tags.json") == Path("/abs/tags.json")


def test_settings_pickle_with_their_file(config_file: Path) -> None:
    settings = load(config_file, {"seed": 3})
    copy = pickle.loads(pickle.dumps(settings))
    assert copy == settings
    assert copy.config_path == config_file


def test_the_default_config_file_loads() -> None:
    settings = load_settings(REPO / "config" / "config.json", environ={})
    assert settings.supervision_urls == ["ws://127.0.0.1:8180"]
    assert settings.ui_server.enabled
    assert (settings.ui_server.options.host, settings.ui_server.options.port) == (
        "127.0.0.1",
        8080,
    )
    assert settings.worker.process_type == "workerSet"
    assert settings.performance_storage.enabled is False
    assert settings.log_console is True
    assert [entry.number_of_stations for entry in settings.station_template_urls] == [3, 2]


# --- priority: file < environment < overrides ----------------------------------------------------


def test_environment_beats_the_file_and_keeps_its_siblings(config_file: Path) -> None:
    settings = load(
        config_file,
        {"logLevel": "warning", "worker": {"processType": "dynamicPool", "poolMaxSize": 8}},
        environ={"EVSIM_WORKER__PROCESS_TYPE": "staticPool", "EVSIM_LOG_LEVEL": "debug"},
    )
    assert settings.worker.process_type == "staticPool"
    assert settings.worker.pool_max_size == 8
    assert settings.log_level == "debug"


def test_overrides_beat_the_environment(config_file: Path) -> None:
    settings = load(
        config_file,
        {"logLevel": "warning", "seed": 1},
        environ={"EVSIM_LOG_LEVEL": "debug", "EVSIM_SEED": "2"},
        overrides={"log_level": "error", "seed": 3},
    )
    assert settings.log_level == "error"
    assert settings.seed == 3


def test_overrides_take_keys_attributes_and_dotted_paths(config_file: Path) -> None:
    settings = load(
        config_file,
        {"worker": {"poolMaxSize": 8, "poolMinSize": 2}},
        overrides={"worker.process_type": "staticPool", "worker": {"poolMaxSize": 32}},
    )
    assert settings.worker.process_type == "staticPool"
    assert settings.worker.pool_max_size == 32
    assert settings.worker.pool_min_size == 2
    assert load(config_file, overrides={"logLevel": "debug"}).log_level == "debug"


def test_environment_supervision_urls_as_json_or_a_bare_url(config_file: Path) -> None:
    env = {"EVSIM_SUPERVISION_URLS": '["ws://a", "ws://b"]'}
    assert load(config_file, {}, environ=env).supervision_urls == ["ws://a", "ws://b"]
    env = {"EVSIM_SUPERVISION_URLS": "ws://c:8180"}
    assert load(config_file, {}, environ=env).supervision_urls == ["ws://c:8180"]


def test_environment_sections_as_json(config_file: Path) -> None:
    settings = load(config_file, {}, environ={"EVSIM_UI_SERVER": '{"options": {"port": 9999}}'})
    assert settings.ui_server.options.port == 9999


def test_environment_names_are_case_insensitive(config_file: Path) -> None:
    settings = load(config_file, {}, environ={"evsim_log_level": "debug"})
    assert settings.log_level == "debug"


def test_unprefixed_environment_variables_do_not_count(config_file: Path) -> None:
    settings = load(config_file, {}, environ={"SEED": "9", "LOGLEVEL": "debug", "WORKER": "{}"})
    assert settings.seed == 0
    assert settings.log_level == "info"


def test_the_process_environment_is_the_default(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_json(config_file, {})
    monkeypatch.setenv("EVSIM_SEED", "77")
    assert load_settings(config_file).seed == 77


# --- errors: one line, file, key, reason ---------------------------------------------------------


def test_a_missing_file_is_named(config_file: Path) -> None:
    error = error_of(config_file)
    assert str(error) == f"{config_file}: file not found"


def test_invalid_json_gives_line_and_column(config_file: Path) -> None:
    config_file.parent.mkdir(parents=True)
    config_file.write_text('{\n  "logLevel": "info"\n  "seed": 1\n}\n')
    error = error_of(config_file)
    assert str(error).startswith(f"{config_file}: invalid JSON at line 3, column 3: ")


def test_a_json_array_is_not_a_config(config_file: Path) -> None:
    assert "expected a JSON object" in str(error_of(config_file, []))


def test_a_byte_order_mark_is_tolerated(config_file: Path) -> None:
    config_file.parent.mkdir(parents=True)
    config_file.write_text('\ufeff{"seed": 5}', encoding="utf-8")
    assert load_settings(config_file, environ={}).seed == 5


def test_a_wrong_type_names_the_dotted_key(config_file: Path) -> None:
    error = error_of(config_file, {"worker": {"poolMaxSize": "many"}})
    assert str(error).startswith(
        f"{config_file}: worker.poolMaxSize: Input should be a valid integer"
    )
    assert (error.file, error.key) == (str(config_file), "worker.poolMaxSize")


def test_a_wrong_value_names_the_key_and_the_choices(config_file: Path) -> None:
    error = error_of(config_file, {"worker": {"processType": "threads"}})
    assert error.key == "worker.processType"
    assert "'workerSet', 'staticPool' or 'dynamicPool'" in error.reason


def test_errors_in_lists_name_the_item(config_file: Path) -> None:
    error = error_of(config_file, {"stationTemplateUrls": [{"file": "a.json"}]})
    assert str(error) == f"{config_file}: stationTemplateUrls[0].numberOfStations: Field required"


def test_a_union_error_names_the_field_not_pydantic_tags(config_file: Path) -> None:
    error = error_of(config_file, {"worker": {"elementsPerWorker": 0}})
    assert error.key == "worker.elementsPerWorker"


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"supervisionUrls": ["http://not-websocket"]}, "supervisionUrls"),
        ({"supervisionUrlDistribution": "nearest"}, "supervisionUrlDistribution"),
        ({"logLevel": "loud"}, "logLevel"),
        (
            {"worker": {"processType": "dynamicPool", "poolMinSize": 8, "poolMaxSize": 4}},
            "worker",
        ),
        ({"uiServer": {"authentication": {"enabled": True}}}, "uiServer.authentication"),
        ({"uiServer": {"options": {"port": 70000}}}, "uiServer.options.port"),
        ({"performanceStorage": {"type": "redis"}}, "performanceStorage.type"),
        (
            {"stationTemplateUrls": [{"file": "a", "numberOfStations": -1}]},
            "stationTemplateUrls[0].numberOfStations",
        ),
    ],
)
def test_each_wrong_value_names_its_key(config_file: Path, data: Any, key: str) -> None:
    error = error_of(config_file, data)
    assert error.file == str(config_file)
    assert error.key == key
    assert str(error) == f"{config_file}: {key}: {error.reason}"


def test_an_environment_error_names_the_variable(config_file: Path) -> None:
    error = error_of(config_file, {}, environ={"EVSIM_WORKER__POOL_MAX_SIZE": "x"})
    assert error.file == "environment EVSIM_WORKER__POOL_MAX_SIZE"
    assert error.key == "worker.poolMaxSize"


def test_an_environment_value_that_is_not_json(config_file: Path) -> None:
    error = error_of(config_file, {}, environ={"EVSIM_WORKER": "{oops"})
    assert (error.file, error.key) == ("environment EVSIM_WORKER", "worker")


def test_an_override_error_names_the_command_line(config_file: Path) -> None:
    error = error_of(config_file, {}, overrides={"worker.pool_max_size": "x"})
    assert (error.file, error.key) == ("command line", "worker.poolMaxSize")


def test_an_unknown_override_is_an_error(config_file: Path) -> None:
    error = error_of(config_file, {}, overrides={"worker.speed": 3})
    assert str(error) == "command line: worker.speed: unknown setting"


# --- unknown and renamed keys --------------------------------------------------------------------


def test_unknown_keys_warn_once_each_and_do_not_stop(
    config_file: Path, warnings: list[str]
) -> None:
    settings = load(
        config_file,
        {"$schemaVersion": 2, "seed": 4, "worker": {"poolMaxSize": 30, "turbo": True}},
    )
    assert settings.seed == 4
    assert settings.worker.pool_max_size == 30
    assert warnings == [
        f"{config_file}: unknown key '$schemaVersion' ignored",
        f"{config_file}: unknown key 'worker.turbo' ignored",
    ]


def test_the_log_section_of_newer_typescript_versions_is_read(
    config_file: Path, warnings: list[str]
) -> None:
    settings = load(
        config_file,
        {
            "$schemaVersion": 2,
            "log": {"file": "logs/all.log", "level": "debug", "maxSize": "10m"},
            "worker": {"elementAddDelay": 25},
        },
    )
    assert settings.log_file == "logs/all.log"
    assert settings.log_level == "debug"
    assert settings.worker.element_start_delay == 25
    assert warnings == [
        f"{config_file}: key 'log.level' read as 'logLevel'",
        f"{config_file}: key 'log.file' read as 'logFile'",
        f"{config_file}: key 'worker.elementAddDelay' read as 'worker.elementStartDelay'",
        f"{config_file}: unknown key '$schemaVersion' ignored",
        f"{config_file}: unknown key 'log' ignored",  # what is left of it: maxSize
    ]


def test_a_key_of_the_log_section_does_not_override_the_flat_key(
    config_file: Path, warnings: list[str]
) -> None:
    settings = load(config_file, {"logLevel": "error", "log": {"level": "debug"}})
    assert settings.log_level == "error"
    assert warnings == [f"{config_file}: key 'log.level' ignored, 'logLevel' is set"]


def test_keys_of_older_typescript_versions_are_read(config_file: Path, warnings: list[str]) -> None:
    settings = load(
        config_file,
        {
            "supervisionURLs": ["ws://old"],
            "stationTemplateURLs": [{"file": "t.json", "numberOfStations": 1}],
            "workerProcess": "staticPool",
            "workerPoolMaxSize": 5,
        },
    )
    assert settings.supervision_urls == ["ws://old"]
    assert settings.station_template_urls[0].file == "t.json"
    assert settings.worker.process_type == "staticPool"
    assert settings.worker.pool_max_size == 5
    assert len(warnings) == 4
    assert all("deprecated key" in message for message in warnings)


# --- station template files ----------------------------------------------------------------------


def settings_with_template(config_file: Path, file: str) -> Settings:
    return load(config_file, {"stationTemplateUrls": [{"file": file, "numberOfStations": 1}]})


@pytest.mark.key("stationTemplateUrls[].file")
def test_a_template_next_to_the_config_is_found_first(config_file: Path) -> None:
    root = config_file.parent
    write_json(root / "t.json", {})
    write_json(root / "station-templates" / "t.json", {})
    write_json(root.parent / "templates" / "t.json", {})
    assert settings_with_template(config_file, "t.json").template_path(0) == root / "t.json"


@pytest.mark.key("stationTemplateUrls[].file")
def test_a_template_in_station_templates_is_found(config_file: Path) -> None:
    root = config_file.parent
    write_json(root / "station-templates" / "t.json", {})
    write_json(root.parent / "templates" / "t.json", {})
    assert (
        settings_with_template(config_file, "t.json").template_path(0)
        == root / "station-templates" / "t.json"
    )


def test_a_template_in_the_sibling_templates_directory_is_found(config_file: Path) -> None:
    write_json(config_file.parent.parent / "templates" / "t.json", {})
    assert (
        settings_with_template(config_file, "t.json").template_path(0)
        == config_file.parent.parent / "templates" / "t.json"
    )


def test_an_absolute_template_path_is_used_as_is(config_file: Path, tmp_path: Path) -> None:
    template = write_json(tmp_path / "elsewhere" / "t.json", {})
    assert settings_with_template(config_file, str(template)).template_path(0) == template


@pytest.mark.key("stationTemplateUrls[].file")
def test_a_missing_template_names_the_key_and_the_paths_tried(config_file: Path) -> None:
    settings = settings_with_template(config_file, "gone.json")
    with pytest.raises(ConfigError) as caught:
        settings.template_path(0)
    error = caught.value
    assert error.key == "stationTemplateUrls[0].file"
    root = config_file.parent
    for tried in (root / "gone.json", root / "station-templates" / "gone.json"):
        assert str(tried) in error.reason
    assert str(root.parent / "templates" / "gone.json") in error.reason


def test_templates_of_a_config_in_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "run").mkdir()
    write_json(tmp_path / "templates" / "t.json", {})
    monkeypatch.chdir(tmp_path / "run")
    settings = load(
        Path("config.json"), {"stationTemplateUrls": [{"file": "t.json", "numberOfStations": 1}]}
    )
    assert settings.template_path(0) == Path("../templates/t.json")


@pytest.mark.key("worker.poolMaxSize")
def test_static_pool_ignores_the_minimum_size(config_file: Path) -> None:
    """poolMinSize bounds only a dynamic pool: a static pool of 3 with the default min loads."""
    write_json(config_file, {"worker": {"processType": "staticPool", "poolMaxSize": 3}})
    assert load_settings(config_file, environ={}).worker.pool_max_size == 3
