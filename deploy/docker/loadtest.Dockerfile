# Load generator image. Build from the repository root:
#   docker build -f deploy/docker/loadtest.Dockerfile -t chat-loadtest .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/Chat.LoadTest -c Release -o /app --nologo

FROM mcr.microsoft.com/dotnet/runtime:10.0
WORKDIR /app
COPY --from=build /app .
ENTRYPOINT ["dotnet", "Chat.LoadTest.dll"]
