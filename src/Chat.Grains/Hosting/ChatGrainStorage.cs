namespace Chat.Grains.Hosting;

/// <summary>The grain storage provider of document-shaped grain state (the users' event logs).</summary>
public static class ChatGrainStorage
{
    /// <summary>Provider name (ADO.NET grain storage on PostgreSQL in silos; memory in unit tests).</summary>
    public const string Name = "chat";
}
