# Amparo in containers: the same commands as scripts/prod-stack.sh (the stack tested on the project's machines).
# Images cannot be built or pulled on those machines (no container engine): this file mirrors the tested stack and
# is kept to its commands; docs/deploy.md says how to use it and what was not run.
#
#   docker build -t amparo .                  the app image (gunicorn, db_worker, run_scheduler, manage.py)
#   docker build -t amparo-proxy --target proxy .   nginx with the collected static files
#   docker compose up -d                      everything (compose.yaml)

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: dependencies, compiled messages, collected static files --------------------------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends gettext libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
COPY pyproject.toml README.md manage.py ./
COPY amparo ./amparo
COPY deploy ./deploy
RUN pip install -q -e /app
# Throwaway values, for these two commands only (never in the image's environment): production settings refuse to
# start without them. The real secrets come at run time (compose.yaml's env_file).
RUN export AMPARO_ENV=production ALLOWED_HOSTS=build SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
      FIELD_ENCRYPTION_KEYS="$(python -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())')" \
      SAFECHANNEL_PEPPER="$(python -c 'import secrets; print(secrets.token_urlsafe(48))')" \
      CASE_SEARCH_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(48))')" \
      AMPARO_VAR_DIR=/tmp/amparo-build STATIC_ROOT=/app/static \
 && python manage.py compilemessages -v0 \
 && python manage.py collectstatic --noinput -v0 \
 && rm -rf /tmp/amparo-build

# --- proxy: nginx with the static files (deploy/nginx.conf.template rendered at start, as the script does) -------
FROM nginx:1.22 AS proxy
COPY --from=build /app/static /srv/amparo/static
COPY deploy/nginx.conf.template /etc/amparo/nginx.conf.template
# The template's placeholders, for the container: state in /var/lib/amparo-proxy, certificate in tls/ there (mount
# it), the app at app:8000. HTTP 8080, HTTPS 8443 inside, published as 80 and 443 (compose.yaml): the redirect to
# HTTPS names no port.
CMD ["sh", "-c", "mkdir -p /var/lib/amparo-proxy/run /var/lib/amparo-proxy/log && sed -e 's|@STATE@|/var/lib/amparo-proxy|g' -e 's|@STATIC@|/srv/amparo/static|g' -e 's|@UPSTREAM@|app:8000|g' -e 's|@HTTPS_PORT@|8443|g' -e 's|@HTTP_PORT@|8080|g' -e 's|@HTTPS_SUFFIX@||g' -e 's|@MAX_BODY@|60m|g' /etc/amparo/nginx.conf.template > /var/lib/amparo-proxy/nginx.conf && exec nginx -p /var/lib/amparo-proxy/ -c /var/lib/amparo-proxy/nginx.conf -g 'daemon off;'"]

# --- app: the runtime, non-root --------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/venv/bin:$PATH \
    AMPARO_ENV=production AMPARO_VAR_DIR=/var/lib/amparo STATIC_ROOT=/app/static \
    GUNICORN_BIND=0.0.0.0:8000 CLIENT_ADDRESS_HEADER=HTTP_X_REAL_IP
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/amparo --shell /usr/sbin/nologin amparo \
 && mkdir -p /var/lib/amparo && chown amparo: /var/lib/amparo && chmod 700 /var/lib/amparo
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
WORKDIR /app
USER amparo
VOLUME ["/var/lib/amparo"]
EXPOSE 8000
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py"]
