# syntax=docker/dockerfile:1
# One image for every role of the clinic assistant; the argument picks the role:
#   docker run IMAGE rasa | actions | website | staff        (see assistant/runtime/container.py)
# Build: docker build -t clinic-assistant .  (TRAIN_MODEL=0 to mount a model at run time via MODEL=...)
# Base images pinned by exact tag; pin by digest too where your registry policy asks for it.

ARG PYTHON_IMAGE=python:3.10.16-slim-bookworm

# --- the website widget's socket.io client (npm, from package-lock.json) ------------------------
FROM node:20.18.1-bookworm-slim AS widget
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error

# --- Python packages from the lock, and the trained model --------------------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    RASA_TELEMETRY_ENABLED=false \
    TF_CPP_MIN_LOG_LEVEL=2
RUN python -m venv /opt/venv
COPY requirements.lock /tmp/requirements.lock
# The lock pins every package (uv pip compile): no resolving, exactly what CI tested.
RUN /opt/venv/bin/pip install --no-cache-dir --no-deps -r /tmp/requirements.lock
WORKDIR /app
COPY . .
COPY --from=widget /build/node_modules ./node_modules
ARG TRAIN_MODEL=1
# Renders the clinic answers from clinic.yml and trains models/clinic-<fingerprint>.tar.gz (about a minute).
RUN if [ "$TRAIN_MODEL" = "1" ]; then PYTHONPATH=/app /opt/venv/bin/python -m tools.model; fi \
    && rm -rf .rasa var

# --- the image: no compilers, no package manager caches, a non-root user ------------------------
FROM ${PYTHON_IMAGE}
RUN groupadd --gid 10001 clinic \
    && useradd --uid 10001 --gid clinic --no-create-home --home-dir /tmp --shell /usr/sbin/nologin clinic
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    MPLCONFIGDIR=/tmp \
    RASA_TELEMETRY_ENABLED=false \
    TF_CPP_MIN_LOG_LEVEL=2 \
    SQLALCHEMY_SILENCE_UBER_WARNING=1
WORKDIR /app
USER 10001:10001
EXPOSE 5005 5055 8080 8081
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-m", "assistant.runtime.container", "health"]
ENTRYPOINT ["python", "-m", "assistant.runtime.container"]
CMD ["rasa"]
