# tandem: the CLI and the Salesforce emulator in one image (see docker-compose.yml).
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
COPY schema ./schema
COPY assets ./assets
COPY conflict-rules ./conflict-rules
COPY examples ./examples
COPY docker ./docker
RUN npm run build && npm prune --omit=dev
ENV NODE_ENV=production
ENTRYPOINT ["node", "bin/tandem.js"]
CMD ["--help"]
