using System.Net;
using System.Net.Sockets;

namespace Raft.Benchmarks.Compare;

/// <summary>Loopback ports that were free a moment ago, for a system that must know its peers' ports before it listens.</summary>
internal static class FreePorts
{
    public static IPEndPoint[] Take(int count)
    {
        // Hold every socket until all are bound so that the same port is not handed out twice.
        var sockets = new Socket[count];
        try
        {
            for (var i = 0; i < count; i++)
            {
                sockets[i] = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                sockets[i].Bind(new IPEndPoint(IPAddress.Loopback, 0));
            }

            return [.. sockets.Select(s => (IPEndPoint)s.LocalEndPoint!)];
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket?.Dispose();
            }
        }
    }
}
