# Silo host image (an Orleans silo). Build from the repository root:
#   docker build -f deploy/docker/silo.Dockerfile -t chat-silo .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/Chat.Silo -c Release -o /app --nologo

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
# 8080 HTTP: /health/live, /health/ready, /metrics, /status (and the Orleans dashboard at /dashboard,
# which answers loopback clients only). 11111 Orleans silo port: silo-to-silo traffic. 30000 Orleans
# gateway port: cluster clients (the frontends) connect here. Set Chat__Silo__AdvertisedIPAddress to
# the address other silos and the frontends reach this container at (compose, Kubernetes: its IP).
ENV ASPNETCORE_URLS=http://+:8080 \
    Chat__Silo__SiloPort=11111 \
    Chat__Silo__GatewayPort=30000
EXPOSE 8080 11111 30000
# curl for container health checks (compose).
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
USER app
ENTRYPOINT ["dotnet", "Chat.Silo.dll"]
