# Production image: the same sources `npm start` runs, with production dependencies only.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY src ./src
COPY profiles ./profiles
COPY mappings ./mappings
COPY tsconfig.json ./
USER node
EXPOSE 8080
CMD ["node", "bin/sektorbro.js", "start"]
