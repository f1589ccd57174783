// Chat frontend: REST API and SignalR hub; a client of the silo cluster.
//
// Table of contents — each step lives in Hosting/, Auth/, Api/ (the HTTP contract) and Realtime/ (the hub):
//   configuration   appsettings.json + environment variables (Chat__Database__ConnectionString, Chat__Frontend__Name, ...)
//   services        options validated at start (FrontendOptions, the runtime's Chat:Database and the cluster client's), the cluster
//                   client, bearer tokens checked by session grains, SignalR, per-user stream feeds, presence leases
//   middleware      API errors in the SPEC section 7 shape (and request size limits), authentication, authorization
//   health          /health/live (process up), /health/ready (an active silo and PostgreSQL)
//   api             /api/... (SPEC section 12; unknown routes answer 404 NOT_FOUND)
//   hub             /hubs/chat (SPEC section 6): events of each user's stream, resume, typing, presence
//   web UI          / — static files built from ClientApp/ into wwwroot/ (Hosting/WebUiEndpoints.cs)
//   shutdown        clients are told to reconnect elsewhere, presence leases dropped (FrontendShutdownService)
using Chat.Frontend.Api;
using Chat.Frontend.Hosting;

var builder = WebApplication.CreateBuilder(args);

builder.AddChatFrontend();

var app = builder.Build();

app.UseChatFrontend();
app.MapChatHealth();
app.MapChatApi();
app.MapChatHub();
app.MapChatWebUi();
app.LogChatFrontendStartup();

app.Run();

/// <summary>Entry point; public and partial so tests can host it with WebApplicationFactory.</summary>
public partial class Program;
