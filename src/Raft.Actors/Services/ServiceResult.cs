using Raft.Actors.Protocol;

namespace Raft.Actors.Services;

/// <summary>Builds results in the state machine and opens them in the clients.</summary>
internal static class ServiceResult
{
    private static readonly byte[] s_ok = [(byte)ServiceStatus.Ok];

    /// <summary>A success without payload.</summary>
    public static byte[] Ok() => s_ok;

    /// <summary>A writer for a success with payload.</summary>
    public static CommandWriter Begin() => new CommandWriter().WriteByte((byte)ServiceStatus.Ok);

    public static byte[] Error(ServiceStatus status, string message) => new CommandWriter().WriteByte((byte)status).WriteString(message).ToArray();

    public static byte[] FenceRejected(string lockName, long latestToken) =>
        new CommandWriter().WriteByte((byte)ServiceStatus.FenceRejected).WriteString(lockName).WriteInt64(latestToken).ToArray();

    /// <summary>
    /// Opens a result for its payload, or throws what its status means:
    /// <see cref="ProtocolException"/> (malformed), <see cref="ArgumentException"/> (invalid),
    /// <see cref="FencingTokenRejectedException"/>, or <see cref="UnknownOutcomeException"/> for
    /// the empty answer a superseded retry gets from the client sessions.
    /// </summary>
    public static CommandReader Open(ReadOnlySpan<byte> result, FencingToken? fence = null)
    {
        if (result.IsEmpty)
        {
            throw new UnknownOutcomeException("The group answered a superseded retry: a later command of the same client session applied first.");
        }

        var reader = new CommandReader(result);
        var status = (ServiceStatus)reader.ReadByte();
        switch (status)
        {
            case ServiceStatus.Ok:
                return reader;
            case ServiceStatus.Malformed:
                throw new ProtocolException($"The group rejected a malformed service command: {reader.ReadString()}");
            case ServiceStatus.Invalid:
                throw new ArgumentException(reader.ReadString());
            case ServiceStatus.FenceRejected:
                var lockName = reader.ReadString();
                var latest = reader.ReadInt64();
                throw new FencingTokenRejectedException(lockName, fence?.Token ?? 0, latest);
            default:
                throw new ProtocolException($"Unknown service result status {(byte)status}.");
        }
    }
}
