# syntax=docker/dockerfile:1
# apidouble in a container: stubs mounted at /home/apidouble/mappings, port 8080.
#   docker build -t apidouble .
#   docker run --rm -p 8080:8080 -v "$PWD/examples:/home/apidouble/mappings:ro" apidouble
# See docs/deploy.md.

# --- build: a wheel of apidouble and wheels of all it needs (redis extra included) -------
FROM python:3.12-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
# requirements.txt pins the install below to exactly the apidouble built here.
RUN pip wheel --wheel-dir /wheels ".[redis]" \
    && python -c "import pathlib; w = next(pathlib.Path('/wheels').glob('apidouble-*.whl')); pathlib.Path('/wheels/requirements.txt').write_text('apidouble[redis]==' + w.name.split('-')[1] + '\n')"

# --- runtime: those wheels installed offline, no build tools, a non-root user -----------
FROM python:3.12-slim
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# --no-index: only the wheels built above, never a same-named package from an index. The
# bind mount keeps the wheels themselves out of the image's layers.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels --requirement /wheels/requirements.txt
RUN groupadd --system --gid 10001 apidouble \
    && useradd --system --uid 10001 --gid apidouble --home-dir /home/apidouble \
        --create-home --shell /usr/sbin/nologin apidouble \
    && install -d -o apidouble -g apidouble /home/apidouble/mappings
COPY --chmod=0755 deploy/docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh

# Numeric, so Kubernetes' runAsNonRoot can verify it without a runAsUser of its own.
USER 10001:10001
WORKDIR /home/apidouble
# 0.0.0.0 inside the container: its network namespace is the boundary, and only what is
# published (-p) or put behind a Service is reachable from outside (docs/deploy.md).
ENV APIDOUBLE_MAPPINGS=/home/apidouble/mappings \
    APIDOUBLE_HOST=0.0.0.0 \
    APIDOUBLE_PORT=8080
EXPOSE 8080
# Python's urllib (slim has no curl): a refused connection, a non-2xx answer or a status
# other than "healthy" exits non-zero. No admin token is needed for this route.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import json, os, sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('APIDOUBLE_PORT', '8080') + '/__admin/health', timeout=2); sys.exit(json.load(r).get('status') != 'healthy')"]
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
