# Frontend host image (REST API, SignalR hub, web UI). Build from the repository root:
#   docker build -f deploy/docker/frontend.Dockerfile -t chat-frontend .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/Chat.Frontend -c Release -o /app --nologo

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
ENV ASPNETCORE_URLS=http://+:8080
EXPOSE 8080
# curl for container health checks (compose).
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
USER app
ENTRYPOINT ["dotnet", "Chat.Frontend.dll"]
