namespace Raft.Actors.Services;

/// <summary>Numbers [<paramref name="Start"/>, <paramref name="End"/>) taken from an <see cref="ISequence"/>.</summary>
public readonly record struct SequenceRange(long Start, long End)
{
    /// <summary>How many numbers the range holds.</summary>
    public long Count => End - Start;
}
