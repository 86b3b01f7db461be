using System.Diagnostics;

namespace Raft.Actors.Testing.Linearizability;

/// <summary>
/// Wing–Gong–Lowe search for a linearization of one register's operations (Lowe, "Testing for
/// linearizability", 2017; the same algorithm as Porcupine's checkSingle). Single use,
/// single-threaded.
/// </summary>
/// <remarks>
/// <para>
/// Known operations have a call and a return event in <c>_known</c>. At any point the
/// candidates to take effect next are the calls that precede the first return still in the list:
/// an operation whose return is reached while it is not linearized can no longer take effect,
/// so the search backtracks. A successful step lifts the operation out of the list and pushes a
/// frame; a configuration already visited (<see cref="VisitedConfigurations"/>) is pruned.
/// </para>
/// <para>
/// Operations with an unknown outcome are optional and never return. They live in a separate
/// list, <c>_unknown</c>, holding only calls: one is a candidate when its call is no later than
/// the first pending return. Known candidates are tried before unknown ones, so a history whose
/// unknown operations were never observed is accepted without ever linearizing them; the search
/// succeeds as soon as every known operation is linearized and simply omits the unknown ones
/// left over.
/// </para>
/// <para>
/// Plain WGL proves a violation only by exhausting every configuration before it, and for a
/// register that count multiplies with concurrent reads and with pending unknown writes. The
/// search therefore skips configurations that another explored configuration is known to cover:
/// forced read-only steps (<see cref="TryForcedStep"/>), the step-after-unknown rule and the
/// ordering of interchangeable unknown operations (<see cref="TryLinearize"/>), the
/// unknown-write filter (<see cref="NoteWantedValues"/>), and inclusion in the cache. Each is
/// argued where it is applied. A verdict of linearizable is always backed by an actual
/// linearization; these rules could only make the search miss one, and the tests compare the
/// verdicts with an exhaustive enumeration of orders on thousands of small random histories.
/// </para>
/// </remarks>
internal sealed class RegisterSearch
{
    private const int DeadlineCheckInterval = 1024;

    private readonly IReadOnlyList<RegisterOperation> _ops;
    private readonly EventList _known;
    private readonly EventList _unknown;
    private readonly LinearizedSet _knownLinearized;
    private readonly LinearizedSet _unknownLinearized;
    private readonly int[] _slot;
    private readonly VisitedConfigurations _visited = new();
    private readonly Frame[] _stack;
    private int _depth;

    // Values some pending candidate could use next, as a mark per value id (see NoteWantedValues).
    private readonly int[] _wantedInEpoch;
    private readonly bool[] _expectedByUnknownCas;
    private int _wantedEpoch;
    private bool _anyValueWanted;

    // For an unknown operation, the previous unknown operation (in invocation order) with the
    // same effect on the register, or -1. See TryLinearize.
    private readonly int[] _twinBefore;

    // The longest prefix found, counted in known operations, kept for the explanation. Only the
    // part of the stack that changed since the last copy is copied (_unchangedDepth), so keeping
    // it costs O(pushes) overall rather than O(n) per improvement.
    private readonly int[] _longestPrefix;
    private int _longestPrefixLength;
    private int _longestPrefixKnown = -1;
    private int _unchangedDepth;

    public RegisterSearch(IReadOnlyList<RegisterOperation> ops)
    {
        _ops = ops;
        _slot = new int[ops.Count];
        _stack = new Frame[ops.Count];
        _longestPrefix = new int[ops.Count];

        var known = new List<EventList.Node>(2 * ops.Count);
        var unknown = new List<EventList.Node>();
        for (var i = 0; i < ops.Count; i++)
        {
            var call = new EventList.Node(i, isCall: true, ops[i].InvokedAt);
            if (ops[i].IsUnknown)
            {
                unknown.Add(call);
            }
            else
            {
                call.Return = new EventList.Node(i, isCall: false, ops[i].CompletedAt);
                known.Add(call);
                known.Add(call.Return);
            }
        }

        // Calls sort before returns at the same instant: the two operations then overlap, the
        // permissive reading of a clock too coarse to order them. The operation index breaks the
        // remaining ties so the search order, and so the explanation, is deterministic.
        Comparison<EventList.Node> order = (a, b) =>
        {
            var byTime = a.Time.CompareTo(b.Time);
            if (byTime != 0)
            {
                return byTime;
            }

            if (a.IsCall != b.IsCall)
            {
                return a.IsCall ? -1 : 1;
            }

            return a.Op.CompareTo(b.Op);
        };
        known.Sort(order);
        unknown.Sort(order);
        _known = new EventList(known);
        _unknown = new EventList(unknown);

        // Known and unknown operations are numbered apart, each set in its own bitset: the cache
        // compares the known part exactly and the unknown part by inclusion.
        var knownSlots = 0;
        var unknownSlots = 0;
        for (var i = 0; i < ops.Count; i++)
        {
            _slot[i] = ops[i].IsUnknown ? unknownSlots++ : knownSlots++;
        }

        _knownLinearized = new LinearizedSet(knownSlots);
        _unknownLinearized = new LinearizedSet(unknownSlots);

        var valueIds = 0;
        foreach (var op in ops)
        {
            valueIds = Math.Max(valueIds, Math.Max(op.Value, Math.Max(op.Expected, op.Output)) + 1);
        }

        _wantedInEpoch = new int[valueIds];
        _expectedByUnknownCas = new bool[valueIds];
        foreach (var op in ops)
        {
            if (op.IsUnknown && op.Kind == KvOpKind.Cas)
            {
                _expectedByUnknownCas[op.Expected] = true;
            }
        }

        _twinBefore = new int[ops.Count];
        var lastOfEffect = new Dictionary<(KvOpKind Kind, int Expected, int Value), int>();
        foreach (var call in unknown)
        {
            var op = ops[call.Op];
            var effect = (op.Kind, op.Kind == KvOpKind.Cas ? op.Expected : -1, op.Value);
            _twinBefore[call.Op] = lastOfEffect.TryGetValue(effect, out var twin) ? twin : -1;
            lastOfEffect[effect] = call.Op;
        }
    }

    /// <summary>Configurations visited; a measure of the work done.</summary>
    public int VisitedCount => _visited.Count;

    /// <summary>
    /// After <see cref="Run"/> returned <see cref="SearchVerdict.NotLinearizable"/>: the
    /// operations (indices into the list given) of a longest linearizable prefix, in order.
    /// </summary>
    public ReadOnlySpan<int> LongestPrefix => _longestPrefix.AsSpan(0, _longestPrefixLength);

    /// <summary>
    /// Searches until a linearization is found, every configuration is exhausted, or
    /// <see cref="Stopwatch.GetTimestamp"/> reaches <paramref name="deadline"/>.
    /// </summary>
    public SearchVerdict Run(long deadline)
    {
        var state = RegisterModel.Absent;
        var knownLinearized = 0;
        RecordIfLongest(knownLinearized);

        // At a configuration reached by a step, `fresh` asks for the forced steps first. Then the
        // cursor walks the known list until it meets the first pending return, then the unknown
        // list (bounded by that return); `bound` is non-null in the second phase.
        var fresh = true;
        EventList.Node? cursor = null;
        EventList.Node? bound = null;
        EventList.Node? unknownCursor = null;

        for (long steps = 0; _known.First is not null; steps++)
        {
            if (steps % DeadlineCheckInterval == 0 && Stopwatch.GetTimestamp() >= deadline)
            {
                return SearchVerdict.TimedOut;
            }

            if (fresh)
            {
                fresh = false;
                switch (TryForcedStep(ref state))
                {
                    case ForcedStep.Taken:
                        knownLinearized++;
                        RecordIfLongest(knownLinearized);
                        fresh = true;
                        continue;
                    case ForcedStep.None:
                        cursor = _known.First;
                        bound = null;
                        break;
                    case ForcedStep.DeadEnd:
                        if (!Backtrack(ref state, ref knownLinearized, ref cursor, ref bound, ref unknownCursor))
                        {
                            return SearchVerdict.NotLinearizable;
                        }

                        continue;
                }
            }

            if (bound is null)
            {
                // Never null here: while the list is non-empty a return follows every call.
                var entry = cursor!;
                if (!entry.IsCall)
                {
                    bound = entry;
                    unknownCursor = _unknown.First;
                    NoteWantedValues(state);
                    continue;
                }

                if (TryLinearize(entry, ref state, bound: null, forced: false))
                {
                    knownLinearized++;
                    RecordIfLongest(knownLinearized);
                    fresh = true;
                }
                else
                {
                    cursor = entry.Next;
                }

                continue;
            }

            if (unknownCursor is not null && unknownCursor.Time <= bound.Time)
            {
                var entry = unknownCursor;
                if (IsWanted(_ops[entry.Op].Value) && TryLinearize(entry, ref state, bound, forced: false))
                {
                    fresh = true;
                }
                else
                {
                    unknownCursor = entry.Next;
                }

                continue;
            }

            // No candidate can take effect before the first pending return.
            if (!Backtrack(ref state, ref knownLinearized, ref cursor, ref bound, ref unknownCursor))
            {
                return SearchVerdict.NotLinearizable;
            }
        }

        return SearchVerdict.Linearizable;
    }

    /// <summary>
    /// Linearizes a pending known operation that leaves the state as it is and accepts it (a Get
    /// reading the current value, a Cas that reported no swap and does not match), if there is one.
    /// </summary>
    /// <remarks>
    /// Such a step needs no alternatives. Any linearization from here can be rewritten to take
    /// that operation first: it is a candidate, so everything that must precede it in real time
    /// is already linearized; moving it earlier breaks no real-time order; and as it changes
    /// nothing, the rest of the sequence sees the same states. So if the configuration after it
    /// fails, this one fails too, and the search does not try the other candidates here. Without
    /// this, concurrent reads multiply the configurations by every subset of them that could be
    /// linearized, which made ten-client histories of a few thousand operations take seconds.
    /// </remarks>
    private ForcedStep TryForcedStep(ref int state)
    {
        for (var entry = _known.First; entry is not null && entry.IsCall; entry = entry.Next)
        {
            var op = _ops[entry.Op];
            if (!op.IsReadOnly || !RegisterModel.TryStep(op, state, out _))
            {
                continue;
            }

            // Refused only by the cache: the configuration after it was explored and failed. (The
            // step-after-unknown rule cannot refuse it: had it been accepted before that unknown
            // step, it would have been forced there, and the unknown step never taken.)
            return TryLinearize(entry, ref state, bound: null, forced: true) ? ForcedStep.Taken : ForcedStep.DeadEnd;
        }

        return ForcedStep.None;
    }

    /// <summary>
    /// Undoes steps until one with untried alternatives, and points the cursors just after it.
    /// Returns false when the stack runs out: no linearization exists.
    /// </summary>
    private bool Backtrack(
        ref int state,
        ref int knownLinearized,
        ref EventList.Node? cursor,
        ref EventList.Node? bound,
        ref EventList.Node? unknownCursor)
    {
        Frame frame;
        do
        {
            if (_depth == 0)
            {
                return false;
            }

            frame = _stack[--_depth];
            _unchangedDepth = Math.Min(_unchangedDepth, _depth);
            EventList.Unlift(frame.Call);
            SetOf(frame.Call.Op).Remove(_slot[frame.Call.Op]);
            state = frame.PreviousState;
            if (frame.Bound is null)
            {
                knownLinearized--;
            }
        }
        while (frame.Forced);

        bound = frame.Bound;
        if (bound is null)
        {
            cursor = frame.Call.Next;
        }
        else
        {
            unknownCursor = frame.Call.Next;
            NoteWantedValues(state);
        }

        return true;
    }

    /// <summary>
    /// Records which values an unknown write would have to produce in <paramref name="state"/>
    /// for a pending operation to use it next: what a candidate Get read or a candidate swapping
    /// Cas expected; any value at all if a candidate Cas reported no swap on the current value.
    /// </summary>
    /// <remarks>
    /// The rule in <see cref="TryLinearize"/> already refuses every step after an unknown write
    /// that does not need it, so a write no candidate wants is a dead end one level down. Checking
    /// here first saves, for each pending unknown write, a cache entry and a rescan of both lists.
    /// </remarks>
    private void NoteWantedValues(int state)
    {
        _wantedEpoch++;
        _anyValueWanted = false;
        for (var entry = _known.First; entry is not null && entry.IsCall; entry = entry.Next)
        {
            var op = _ops[entry.Op];
            switch (op.Kind)
            {
                case KvOpKind.Get:
                    _wantedInEpoch[op.Output] = _wantedEpoch;
                    break;
                case KvOpKind.Cas when op.Source.CasApplied:
                    _wantedInEpoch[op.Expected] = _wantedEpoch;
                    break;
                case KvOpKind.Cas when op.Expected == state:
                    _anyValueWanted = true;
                    break;
            }
        }
    }

    // Unknown Cas operations are users too; wanting their expected values always is a cheap
    // over-approximation that keeps chains of unknown writes possible.
    private bool IsWanted(int value) =>
        _anyValueWanted || _wantedInEpoch[value] == _wantedEpoch || _expectedByUnknownCas[value];

    private bool TryLinearize(EventList.Node call, ref int state, EventList.Node? bound, bool forced)
    {
        var op = _ops[call.Op];

        // The step after an unknown operation must be one that the unknown operation made
        // possible, that is one refused in the state before it. Otherwise the two can swap: the
        // unknown operation has no return to respect, and the other one, accepted either way,
        // is a Put (whose effect hides the unknown one), a read-only operation (which would have
        // been a forced step before it), or another unknown write, and the swapped order is
        // explored from the configuration below. Without this, every pending unknown write is
        // tried, and its subtree explored, at every point of the rest of the history.
        if (_depth > 0 && _stack[_depth - 1] is var top && _ops[top.Call.Op].IsUnknown
            && RegisterModel.TryStep(op, top.PreviousState, out _))
        {
            return false;
        }

        // Unknown operations with the same effect (same kind, expected and written value ids)
        // are interchangeable once invoked: neither ever has to take effect, and the later one
        // may take effect anywhere the earlier one may from then on, because the first pending
        // return only moves later. So the search takes them in invocation order, never a later
        // one while an earlier twin is unused; a class of k such operations then contributes
        // k + 1 configurations instead of 2^k. With unobserved values merged into one id
        // (RegisterModel), every unknown write nobody reads falls into a few such classes.
        if (op.IsUnknown && _twinBefore[call.Op] >= 0 && !_unknownLinearized.Contains(_slot[_twinBefore[call.Op]]))
        {
            return false;
        }

        if (!RegisterModel.TryStep(op, state, out var next))
        {
            return false;
        }

        var set = SetOf(call.Op);
        set.Add(_slot[call.Op]);
        if (!_visited.TryAdd(_knownLinearized, _unknownLinearized, next))
        {
            set.Remove(_slot[call.Op]);
            return false;
        }

        _stack[_depth++] = new Frame(call, state, bound, forced);
        EventList.Lift(call);
        state = next;
        return true;
    }

    private LinearizedSet SetOf(int op) => _ops[op].IsUnknown ? _unknownLinearized : _knownLinearized;

    private void RecordIfLongest(int knownLinearized)
    {
        if (knownLinearized <= _longestPrefixKnown)
        {
            return;
        }

        for (var i = _unchangedDepth; i < _depth; i++)
        {
            _longestPrefix[i] = _stack[i].Call.Op;
        }

        _longestPrefixLength = _depth;
        _longestPrefixKnown = knownLinearized;
        _unchangedDepth = _depth;
    }

    /// <param name="Call">The call event lifted.</param>
    /// <param name="PreviousState">The state before the operation took effect.</param>
    /// <param name="Bound">For an unknown operation, the pending return that bounded its phase; null for a known one.</param>
    /// <param name="Forced">Taken by <see cref="TryForcedStep"/>: when it fails, so does the configuration before it.</param>
    private readonly record struct Frame(EventList.Node Call, int PreviousState, EventList.Node? Bound, bool Forced);

    private enum ForcedStep
    {
        None,
        Taken,
        DeadEnd,
    }
}
