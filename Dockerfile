# isp-ledger: the API service, the web pages and the projector run from this one image.

# The pages' stylesheet and script: GOV.UK Frontend compiled with Dart Sass (web-assets/), as ./dev does.
FROM node:20-slim AS assets
WORKDIR /app/web-assets
COPY web-assets/package.json web-assets/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY web-assets ./
RUN npm run --silent build

FROM python:3.11-slim

# WeasyPrint (PDF evidence bundles) needs Pango and fonts.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b \
       libfontconfig1 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
COPY --from=assets /app/src/isp_ledger/web/static ./src/isp_ledger/web/static
COPY projections ./projections
RUN pip install --no-cache-dir .

RUN useradd --create-home --uid 10001 ledger && mkdir -p /keys && chown ledger /keys
USER ledger
# Keys live on their own volume, never in the database they protect.
ENV ISP_LEDGER_KEY_DIR=/keys
EXPOSE 8000
CMD ["isp-ledger", "serve", "--host", "0.0.0.0", "--port", "8000"]
