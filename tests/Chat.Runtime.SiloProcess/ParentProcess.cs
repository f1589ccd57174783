using System.Diagnostics;

namespace Chat.Runtime.SiloProcess;

internal static class ParentProcess
{
    public static int? FromArgs(string[] args)
    {
        var index = Array.IndexOf(args, "--parent-pid");
        return index >= 0 && index + 1 < args.Length && int.TryParse(args[index + 1], out var pid) ? pid : null;
    }

    public static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
