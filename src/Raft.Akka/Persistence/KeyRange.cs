using System.Runtime.CompilerServices;
using Raft.Actors.Services;

namespace Raft.Akka.Persistence;

/// <summary>A range of keys [<paramref name="Start"/>, <paramref name="End"/>) of a key-value store, read and deleted page by page.</summary>
internal readonly record struct KeyRange(string Start, string End)
{
    /// <summary>Keys per scan and per delete batch: one log entry each.</summary>
    public const int PageSize = 256;

    /// <summary>Up to <paramref name="max"/> entries of the range, in key order, each page a linearizable read.</summary>
    public async IAsyncEnumerable<KvEntry> ScanAsync(IReplicatedKv kv, long max, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var start = Start;
        var left = max;
        while (left > 0)
        {
            var limit = (int)Math.Min(PageSize, left);
            var page = await kv.ScanAsync(start, End, limit, cancellationToken).ConfigureAwait(false);
            foreach (var entry in page)
            {
                yield return entry;
            }

            left -= page.Count;
            if (page.Count < limit)
            {
                yield break;
            }

            start = PersistenceKeys.After(page[^1].Key);
        }
    }

    /// <summary>
    /// Deletes the entries of the range that <paramref name="select"/> keeps, a page per log entry,
    /// lowest keys first: a delete cut short leaves a suffix of them, never a hole.
    /// </summary>
    public async Task DeleteAsync(IReplicatedKv kv, Func<KvEntry, bool> select, CancellationToken cancellationToken)
    {
        var batch = new List<KvOperation>(PageSize);
        await foreach (var entry in ScanAsync(kv, long.MaxValue, cancellationToken).ConfigureAwait(false))
        {
            if (select(entry))
            {
                batch.Add(KvOperation.Delete(entry.Key));
            }

            if (batch.Count == PageSize)
            {
                await kv.BatchAsync(batch, cancellationToken: cancellationToken).ConfigureAwait(false);
                batch.Clear();
            }
        }

        if (batch.Count > 0)
        {
            await kv.BatchAsync(batch, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }
}
