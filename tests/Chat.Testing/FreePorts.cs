using System.Net;
using System.Net.Sockets;

namespace Chat.Testing;

/// <summary>TCP ports nothing listens on right now (picked by the kernel, all distinct).</summary>
public static class FreePorts
{
    /// <summary><paramref name="count"/> distinct free loopback ports.</summary>
    public static int[] Take(int count)
    {
        // Held open together, so the kernel cannot hand out the same port twice.
        var listeners = new List<TcpListener>(count);
        try
        {
            for (var i = 0; i < count; i++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                listeners.Add(listener);
            }

            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Stop();
            }
        }
    }
}
