# evsim: `docker build -t evsim .`, then `docker run -v $PWD/config:/home/evsim/config
# -v $PWD/templates:/home/evsim/templates -p 8080:8080 evsim`. The UI server must listen on
# 0.0.0.0 in the mounted config.json for the port and the healthcheck to reach it, with
# authentication or an explicit uiServer.accessPolicy (what -p forwards comes from the Docker
# bridge, not loopback: a cert and key, or requireTlsForNonLoopback false).

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY simulator ./simulator
COPY workers ./workers
RUN python -m venv /opt/evsim \
    && /opt/evsim/bin/pip install --no-cache-dir '.[fast]'

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 evsim
COPY --from=build /opt/evsim /opt/evsim
COPY --chown=evsim:evsim config /home/evsim/config
COPY --chown=evsim:evsim templates /home/evsim/templates
ENV PATH=/opt/evsim/bin:$PATH PYTHONUNBUFFERED=1
WORKDIR /home/evsim
USER 10001
VOLUME ["/home/evsim/config", "/home/evsim/templates", "/home/evsim/state"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD ["python", "-c", "import urllib.request as r; r.urlopen(r.Request('http://127.0.0.1:8080/ui/0.0.1/simulatorState', data=b'{}', headers={'Content-Type': 'application/json'}, method='POST'), timeout=4)"]
ENTRYPOINT ["evsim", "run"]
CMD ["--config", "config/config.json"]
