// Chat silo: hosts the grains of the chat domain and joins the cluster.
//
// Table of contents — each step lives in Hosting/:
//   configuration   appsettings.json + environment variables (Chat__Database__ConnectionString, Chat__Silo__Name, ...)
//   options         the runtime's (Chat:Database, Chat:Silo, Chat:Cluster, …) and the chat domain's options — validated at startup
//   silo            the runtime (AddChatSilo) with the chat grains, their migrations and the demo loader (Chat:Demo:Load)
//   health          /health/live (process up), /health/ready (PostgreSQL answers)
//   --load-demo     load the demo data into the database and exit (DemoCommand)
using Chat.Silo.Hosting;

if (args.Contains(DemoCommand.Argument))
{
    return await DemoCommand.RunAsync(args);
}

var builder = WebApplication.CreateBuilder(args);

builder.AddChatSiloHost();

var app = builder.Build();

app.MapChatSiloEndpoints();
app.LogChatSiloStartup();

await app.RunAsync();
return 0;

/// <summary>Entry point; public and partial so tests can host it with WebApplicationFactory.</summary>
public partial class Program;
