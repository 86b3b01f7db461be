namespace Raft.Actors.Testing.Linearizability;

/// <summary>
/// The call and return events of a history in time order, as the doubly linked list of
/// Wing–Gong–Lowe search: linearizing an operation lifts its call and its return out of the list,
/// and backtracking unlifts them into the same place in O(1). Single-threaded.
/// </summary>
/// <remarks>
/// The search lifts and unlifts in stack order, so a lifted node keeps its own
/// <see cref="Node.Previous"/>/<see cref="Node.Next"/> and those still point at the right
/// neighbours when it is put back (Lowe, "Testing for linearizability", §3).
/// </remarks>
internal sealed class EventList
{
    private readonly Node _head = new(-1, isCall: false, time: long.MinValue);

    /// <summary>Links <paramref name="nodes"/>, which must already be in event order.</summary>
    public EventList(IReadOnlyList<Node> nodes)
    {
        var previous = _head;
        foreach (var node in nodes)
        {
            previous.Next = node;
            node.Previous = previous;
            previous = node;
        }
    }

    /// <summary>The earliest event still in the list, or <see langword="null"/> when it is empty.</summary>
    public Node? First => _head.Next;

    /// <summary>Removes a call event and its return event, if it has one.</summary>
    public static void Lift(Node call)
    {
        Unlink(call);
        if (call.Return is { } ret)
        {
            Unlink(ret);
        }
    }

    /// <summary>Puts back what the matching <see cref="Lift"/> removed; calls must nest like a stack.</summary>
    public static void Unlift(Node call)
    {
        if (call.Return is { } ret)
        {
            Relink(ret);
        }

        Relink(call);
    }

    private static void Unlink(Node node)
    {
        node.Previous!.Next = node.Next;
        if (node.Next is { } next)
        {
            next.Previous = node.Previous;
        }
    }

    private static void Relink(Node node)
    {
        node.Previous!.Next = node;
        if (node.Next is { } next)
        {
            next.Previous = node;
        }
    }

    /// <summary>A call or return event of one operation.</summary>
    internal sealed class Node(int op, bool isCall, long time)
    {
        /// <summary>Index of the operation in the search's operation list.</summary>
        public int Op { get; } = op;

        /// <summary>True for a call (invocation) event, false for a return.</summary>
        public bool IsCall { get; } = isCall;

        /// <summary>When the event happened.</summary>
        public long Time { get; } = time;

        /// <summary>For a call, its return event; <see langword="null"/> for a return or an operation that never returned.</summary>
        public Node? Return { get; set; }

        public Node? Previous { get; set; }

        public Node? Next { get; set; }
    }
}
