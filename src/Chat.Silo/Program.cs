// Chat silo: hosts the grains of the chat domain and joins the cluster.
//
// Table of contents — each step lives in Hosting/:
//   configuration   appsettings.json + environment variables (Chat__Database__ConnectionString, Chat__Silo__Name, ...)
//   options         DatabaseOptions, SiloOptions — validated at startup
//   health          /health/live (process up), /health/ready (PostgreSQL answers)
using Chat.Silo.Hosting;

var builder = WebApplication.CreateBuilder(args);

builder.AddChatSiloHost();

var app = builder.Build();

app.MapChatSiloEndpoints();
app.LogChatSiloStartup();

app.Run();

/// <summary>Entry point; public and partial so tests can host it with WebApplicationFactory.</summary>
public partial class Program;
