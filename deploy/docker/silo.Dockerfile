# Silo host image. Build from the repository root:
#   docker build -f deploy/docker/silo.Dockerfile -t chat-silo .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/Chat.Silo -c Release -o /app --nologo

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
# HTTP: /health/live, /health/ready, /metrics, /status. Cluster: silos and frontends connect here.
ENV ASPNETCORE_URLS=http://+:8080 \
    Chat__Cluster__Port=11111
EXPOSE 8080 11111
# curl for container health checks (compose).
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
USER app
ENTRYPOINT ["dotnet", "Chat.Silo.dll"]
