using System.IO.Hashing;
using System.Text;

namespace Raft.Orleans.Runtime;

/// <summary>Node ids derived from silo names, the same on every silo and across restarts.</summary>
public static class RaftNodeIds
{
    /// <summary>
    /// The node id of a silo named <paramref name="siloName"/>: XxHash64 (seed 0) of its UTF-8
    /// bytes, or 1 in the one case the hash is 0. Stable across processes and restarts, unlike
    /// a <c>SiloAddress</c>, whose generation changes each time the silo starts.
    /// </summary>
    public static ulong FromSiloName(string siloName)
    {
        ArgumentException.ThrowIfNullOrEmpty(siloName);
        var id = XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(siloName));
        return id == 0 ? 1 : id;
    }
}
