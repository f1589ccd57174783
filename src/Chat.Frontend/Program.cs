// Chat frontend: REST API, SignalR hub and web UI; a client of the silo cluster.
//
// Table of contents — each step lives in Hosting/ (and Api/ for the HTTP contract):
//   configuration   appsettings.json + environment variables (Chat__Database__ConnectionString, Chat__Frontend__Name, ...)
//   options         DatabaseOptions, FrontendOptions — validated at startup
//   health          /health/live (process up), /health/ready (PostgreSQL answers)
//   api             /api/... (unknown routes answer 404 in the error shape of SPEC section 7)
using Chat.Frontend.Hosting;

var builder = WebApplication.CreateBuilder(args);

builder.AddChatFrontend();

var app = builder.Build();

app.MapChatFrontend();
app.LogChatFrontendStartup();

app.Run();

/// <summary>Entry point; public and partial so tests can host it with WebApplicationFactory.</summary>
public partial class Program;
