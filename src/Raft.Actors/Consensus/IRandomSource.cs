namespace Raft.Actors.Consensus;

/// <summary>
/// The only source of randomness the core uses (election timeout jitter). Injected so that a
/// seeded simulator replays every choice exactly.
/// </summary>
public interface IRandomSource
{
    /// <summary>Returns a value in <c>[0, maxExclusive)</c>.</summary>
    int Next(int maxExclusive);
}
