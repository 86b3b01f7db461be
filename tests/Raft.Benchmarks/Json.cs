using System.Globalization;
using System.Text;

namespace Raft.Benchmarks;

/// <summary>Builds one flat JSON object per line.</summary>
internal sealed class Json
{
    private readonly StringBuilder _text = new("{");

    public Json Add(string name, string value)
    {
        Separator(name);
        _text.Append('"').Append(value.Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
        return this;
    }

    public Json Add(string name, double value, int decimals = 1)
    {
        Separator(name);
        _text.Append(Math.Round(value, decimals).ToString(CultureInfo.InvariantCulture));
        return this;
    }

    public Json Add(string name, long value)
    {
        Separator(name);
        _text.Append(value.ToString(CultureInfo.InvariantCulture));
        return this;
    }

    public void Print() => Console.WriteLine(_text.Append('}').ToString());

    private void Separator(string name)
    {
        if (_text.Length > 1)
        {
            _text.Append(',');
        }

        _text.Append('"').Append(name).Append("\":");
    }
}
