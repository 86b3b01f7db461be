namespace Raft.Actors.Testing.Linearizability;

/// <summary>
/// The sequential specification of one register, over interned value ids, so a search step does
/// no string work and a state hashes as an <see cref="int"/>.
/// </summary>
/// <remarks>
/// Only values that some operation compares the register against get their own id: a value a
/// Get read, or a value a Cas expected. Every other value written maps to the single id
/// <see cref="Unobserved"/>. That is exact, not an approximation: each test the model makes is
/// "does the register equal this observed value?", and every unobserved value answers "no" to
/// all of them alike. Merging them lets the cache recognise states that differ only in which
/// never-read value was last written, and makes unknown writes of such values interchangeable
/// (see <see cref="RegisterSearch"/>).
/// </remarks>
internal sealed class RegisterModel
{
    /// <summary>The id of the absent value, which is also the initial state.</summary>
    public const int Absent = 0;

    /// <summary>The id shared by every value no operation reads or expects.</summary>
    public const int Unobserved = 1;

    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);

    /// <summary>Collects the observed values of one key's operations.</summary>
    public RegisterModel(IEnumerable<KvOperation> ops)
    {
        foreach (var op in ops)
        {
            var observed = op.Kind switch
            {
                KvOpKind.Get => op.Output,
                KvOpKind.Cas => op.Expected,
                _ => null,
            };
            if (observed is not null)
            {
                _ids.TryAdd(observed, _ids.Count + 2);
            }
        }
    }

    /// <summary>The id of <paramref name="value"/>.</summary>
    public int Intern(string? value) =>
        value is null ? Absent : _ids.TryGetValue(value, out var id) ? id : Unobserved;

    /// <summary><paramref name="value"/> quoted, or <c>absent</c>.</summary>
    public static string Describe(string? value) => value is null ? "absent" : $"\"{value}\"";

    /// <summary>"the register holds "x"", or "the register is absent".</summary>
    public static string Holding(string? value) =>
        value is null ? "the register is absent" : $"the register holds {Describe(value)}";

    /// <summary>
    /// Applies <paramref name="op"/> to <paramref name="state"/>. Returns false when the
    /// operation cannot take effect here: a known operation whose reported output contradicts the
    /// state, or an unknown one that would not change the state.
    /// </summary>
    /// <remarks>
    /// An unknown operation that leaves the state as it is (a Cas whose expectation fails, a Put
    /// of the value already held) is refused on purpose: taking it is indistinguishable from
    /// omitting it, which the search always also tries, so taking it would only re-explore the
    /// same states with a different linearized set.
    /// </remarks>
    public static bool TryStep(RegisterOperation op, int state, out int next)
    {
        next = state;
        switch (op.Kind)
        {
            case KvOpKind.Get:
                return op.IsUnknown || op.Output == state;

            case KvOpKind.Put:
                next = op.Value;
                return !op.IsUnknown || next != state;

            default:
                if (op.IsUnknown)
                {
                    next = op.Value;
                    return state == op.Expected && next != state;
                }

                if (op.Source.CasApplied)
                {
                    next = op.Value;
                    return state == op.Expected;
                }

                return state != op.Expected;
        }
    }

    /// <summary>
    /// Why <paramref name="op"/> cannot be the next operation to take effect when the register
    /// holds <paramref name="value"/>, which is in <paramref name="state"/>.
    /// </summary>
    public static string WhyNotNext(RegisterOperation op, int state, string? value)
    {
        if (TryStep(op, state, out _))
        {
            return "could take effect here, but every continuation after it gets stuck";
        }

        if (op.IsUnknown)
        {
            return "outcome unknown; taking effect here would change nothing";
        }

        var source = op.Source;
        return op.Kind switch
        {
            KvOpKind.Get => $"reads {Describe(source.Output)} but {Holding(value)}",
            KvOpKind.Cas when source.CasApplied => $"swapped, so it saw {Describe(source.Expected)}, but {Holding(value)}",
            _ => $"did not swap, but {Holding(value)}, the value it expected",
        };
    }
}
