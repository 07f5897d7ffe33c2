# syntax=docker/dockerfile:1
# The assessment image. Build from the repository root (the context .dockerignore trims):
#   docker build -f deploy/docker/assessment.Dockerfile -t registry.example.gov.cn/zhdj/assessment:<version> .
# Runs `python -m zhdj_assessment` (serve); the migration Job passes `migrate`. Non-root (uid 10001), no
# compiler or pip in the final stage, writes only under /tmp and $ZHDJ_DATA_DIR (emptyDirs in
# Kubernetes), so readOnlyRootFilesystem works.

# Base image pinned by exact tag in both stages (pin the digest too, @sha256:..., once the
# registry mirror in use is known; checkov cannot resolve a FROM built from an ARG).
FROM python:3.11.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
# Every third-party version comes from constraints.txt; wheels only, so no compiler is needed.
RUN python -m venv /opt/venv
COPY constraints.txt /src/constraints.txt
COPY shared /src/shared
COPY services/assessment /src/services/assessment
RUN /opt/venv/bin/pip install --only-binary=:all: -c /src/constraints.txt /src/shared /src/services/assessment \
    && /opt/venv/bin/python -m compileall -q /opt/venv/lib \
    && /opt/venv/bin/pip uninstall -y pip setuptools wheel

FROM python:3.11.11-slim-bookworm AS runtime
RUN groupadd --system --gid 10001 zhdj \
    && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
       --shell /usr/sbin/nologin zhdj \
    && python -m pip uninstall -y pip setuptools wheel \
    && mkdir -p /var/lib/zhdj \
    && chown 10001:10001 /var/lib/zhdj
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ZHDJ_ENV=production \
    ZHDJ_DATA_DIR=/var/lib/zhdj \
    ZHDJ_ASSESSMENT_HOST=0.0.0.0 \
    ZHDJ_ASSESSMENT_PORT=8004
WORKDIR /var/lib/zhdj
USER 10001:10001
EXPOSE 8004
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8004/healthz', timeout=2)"]
ENTRYPOINT ["python", "-m", "zhdj_assessment"]
