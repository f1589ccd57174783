# Frontend host image (REST API, SignalR hub, web UI). Build from the repository root:
#   docker build -f deploy/docker/frontend.Dockerfile -t chat-frontend .
# The web UI (src/Chat.Frontend/ClientApp): npm ci and the Vite build into /wwwroot.
FROM node:20-bookworm-slim AS ui
WORKDIR /ui
COPY src/Chat.Frontend/ClientApp/package.json src/Chat.Frontend/ClientApp/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY src/Chat.Frontend/ClientApp/ ./
RUN rm -rf /wwwroot && npm run build

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
# The built UI becomes the frontend's wwwroot, which publish copies into the image.
COPY --from=ui /wwwroot src/Chat.Frontend/wwwroot
RUN dotnet publish src/Chat.Frontend -c Release -o /app --nologo

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
# 8080 HTTP only: a frontend is an Orleans cluster client; it listens on no Orleans port and finds the
# silos' gateways in the membership table (Chat__Database__ConnectionString, Chat__Silo__ClusterId).
ENV ASPNETCORE_URLS=http://+:8080
EXPOSE 8080
# curl for container health checks (compose).
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
USER app
ENTRYPOINT ["dotnet", "Chat.Frontend.dll"]
