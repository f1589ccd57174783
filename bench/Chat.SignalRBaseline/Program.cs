// The baseline: what SignalR alone costs on this machine.
//
// A minimal ASP.NET Core server that speaks exactly the part of the chat API the load tester
// (src/Chat.LoadTest) uses — register/login, /api/me, organizations, DMs and groups over REST; the hub
// /hubs/chat with SendMessage (and its ack), AddReaction, MarkRead, Typing and Resume; the events
// messageCreated, messageUpdated, readUpdated and typing in the same JSON shapes, with per-conversation
// message seqs and per-user event positions — but from memory: users and tokens in dictionaries,
// conversations as member lists with a seq counter, events pushed through SignalR groups. No grains,
// no database, no persistence, no rate limits, no password hashing. Run it with ./chat baseline
// [--port P] and measure it with ./chat load --url http://127.0.0.1:P (docs/benchmarks.md).
using Chat.SignalRBaseline;

var app = BaselineServer.Create(args);
await app.StartAsync();
Console.WriteLine($"Raw SignalR baseline on {string.Join(", ", app.Urls)} (hub /hubs/chat, everything in memory); Ctrl+C stops it.");
await app.WaitForShutdownAsync();
