using Raft.Actors.Protocol;

namespace Raft.Actors.Consensus;

/// <summary>
/// The membership at every point of the log: the configuration at the compaction point (from
/// the snapshot or the initial options) and one for each configuration entry after it. The
/// latest one is in force, committed or not (thesis §4.1); truncating an entry takes its
/// configuration back.
/// </summary>
internal sealed class ConfigurationHistory
{
    private readonly List<(ulong Index, ConfState Conf)> _changes = [];
    private ulong _baseIndex;
    private ConfState _base;

    public ConfigurationHistory(ulong baseIndex, ConfState baseConf)
    {
        _baseIndex = baseIndex;
        _base = baseConf;
    }

    /// <summary>The configuration in force: the one of the last configuration entry in the log.</summary>
    public ConfState Latest => _changes.Count == 0 ? _base : _changes[^1].Conf;

    /// <summary>Index of the entry that set <see cref="Latest"/> (the compaction point for the base).</summary>
    public ulong LatestIndex => _changes.Count == 0 ? _baseIndex : _changes[^1].Index;

    /// <summary>True when <paramref name="id"/> is a member of the base or of any configuration after it.</summary>
    public bool EverContained(ulong id) => _base.Contains(id) || _changes.Exists(c => c.Conf.Contains(id));

    /// <summary>The configuration as of <paramref name="index"/> (at or after the compaction point).</summary>
    public ConfState At(ulong index)
    {
        for (var i = _changes.Count - 1; i >= 0; i--)
        {
            if (_changes[i].Index <= index)
            {
                return _changes[i].Conf;
            }
        }

        return _base;
    }

    /// <summary>
    /// Takes in an appended entry; a malformed configuration entry is skipped, and so is one at
    /// or before the base, which the base (a snapshot's configuration) already includes.
    /// </summary>
    public void OnAppended(Entry entry)
    {
        if (entry.Type == EntryType.ConfChange && entry.Index > _baseIndex &&
            ConfigurationCodec.TryDecode(entry.Data, out var next))
        {
            _changes.Add((entry.Index, next));
        }
    }

    /// <summary>Forgets configurations set by entries at or after <paramref name="index"/> (truncated).</summary>
    public void TruncateFrom(ulong index) => _changes.RemoveAll(c => c.Index >= index);

    /// <summary>Folds configurations up to <paramref name="index"/> into the base (compaction).</summary>
    public void CompactTo(ulong index)
    {
        if (index <= _baseIndex)
        {
            return;
        }

        _base = At(index);
        _baseIndex = index;
        _changes.RemoveAll(c => c.Index <= index);
    }

    /// <summary>Starts over from a snapshot's configuration.</summary>
    public void Reset(ulong index, ConfState conf)
    {
        _changes.Clear();
        _baseIndex = index;
        _base = conf;
    }
}
