using System.Text;

namespace Raft.Actors.Services;

/// <summary>UTF-8 string values for <see cref="IReplicatedKv"/>.</summary>
public static class ReplicatedKvExtensions
{
    /// <summary>The value of <paramref name="key"/> as UTF-8 text, or null.</summary>
    public static async Task<string?> GetStringAsync(this IReplicatedKv kv, string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kv);
        return await kv.GetAsync(key, cancellationToken).ConfigureAwait(false) is { } value ? Encoding.UTF8.GetString(value) : null;
    }

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/> as UTF-8.</summary>
    public static Task PutStringAsync(this IReplicatedKv kv, string key, string value, FencingToken? fence = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kv);
        ArgumentNullException.ThrowIfNull(value);
        return kv.PutAsync(key, Encoding.UTF8.GetBytes(value), fence, cancellationToken);
    }
}
