// An example post-processor for NC Optimizer: the same Fanuc-style output as the built-in post
// (ncopt/writer.py), written in C# against the documented interface (docs/dotnet-post.md):
//
//   - a public class with a public parameterless constructor,
//   - a public method  string Emit(string programJson)  that returns the NC text.
//
// The program arrives as JSON (schema "ncopt.program/2"): "text" pieces are copied as they are,
// "group" pieces are the groups the optimizer reordered: every operation in its new order
// ("steps") and the built-in writer's instructions ("script": travel, modal words, cycle
// cancels, and where each step's lines go), one line each. The travel in the script is what the
// optimizer proved safe; a shop's own post formats the same instructions in its own dialect.
// This one formats them exactly as the built-in post does, so the two can be compared line for
// line.
//
// Only the .NET base class library is used (System.Runtime.Serialization's JSON reader and
// System.Xml.Linq), so it compiles with Mono's mcs and with the .NET SDK alike:
//
//   mcs -target:library -r:System.Runtime.Serialization -r:System.Xml -r:System.Xml.Linq \
//       -out:FanucPost.dll FanucPost.cs

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Runtime.Serialization.Json;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;

namespace NcOptimizer.Examples
{
    public class FanucPost
    {
        public FanucPost()
        {
        }

        /// <summary>The NC text of the program described by <paramref name="programJson"/>.</summary>
        public string Emit(string programJson)
        {
            XElement doc = Json.Parse(programJson);
            string schema = Json.Str(doc, "schema");
            if (schema != "ncopt.program/2")
                throw new NotSupportedException("unknown program schema " + schema);
            string newline = Json.Str(doc, "newline");
            var output = new StringBuilder();
            foreach (XElement piece in Json.Items(doc, "pieces"))
            {
                string type = Json.Str(piece, "type");
                if (type == "text")
                {
                    output.Append(Json.Str(piece, "text"));
                }
                else if (type == "group")
                {
                    List<string> lines = new GroupWriter(piece).Lines();
                    if (lines.Count > 0)
                        output.Append(string.Join(newline, lines)).Append(newline);
                }
                else
                {
                    throw new NotSupportedException("unknown piece type " + type);
                }
            }
            return output.ToString();
        }
    }

    /// <summary>Formats one reordered group's script as ncopt.writer.format_instruction does.</summary>
    internal sealed class GroupWriter
    {
        readonly XElement group;
        readonly bool inch;
        readonly List<XElement> steps;

        public GroupWriter(XElement group)
        {
            this.group = group;
            inch = Json.Bool(group, "inch");
            steps = Json.Items(group, "steps").ToList();
        }

        public List<string> Lines()
        {
            var lines = new List<string>();
            foreach (XElement item in Json.Items(group, "script"))
            {
                string type = Json.Str(item, "type");
                switch (type)
                {
                    case "comment":
                        lines.Add(Json.Str(item, "text"));
                        break;
                    case "cancel_cycle":
                        lines.Add("G80");
                        break;
                    case "rapid":
                        lines.Add(Rapid(item));
                        break;
                    case "modal":
                        lines.Add(ModalWords(item));
                        break;
                    case "holes":
                        lines.AddRange(Holes(steps[Json.Int(item, "step")]));
                        break;
                    case "block":
                        lines.AddRange(Block(steps[Json.Int(item, "step")], item));
                        break;
                    default:
                        throw new NotSupportedException("unknown instruction " + type);
                }
            }
            return lines;
        }

        string Rapid(XElement item)
        {
            var words = new List<string>();
            if (Json.Bool(item, "g90"))
                words.Add("G90");
            words.Add("G0");
            foreach (string axis in new[] { "x", "y", "z" })
            {
                if (item.Element(axis) != null)
                    words.Add(axis.ToUpperInvariant() + Format.Num(Json.Num(item, axis), inch));
            }
            return string.Join(" ", words);
        }

        string ModalWords(XElement item)
        {
            var words = new List<string>();
            if (!Json.IsNull(item, "g90"))
                words.Add(Json.Bool(item, "g90") ? "G90" : "G91");
            foreach (string key in new[] { "plane", "motion", "return_mode" })
            {
                if (!Json.IsNull(item, key))
                    words.Add("G" + Json.Int(item, key).ToString(CultureInfo.InvariantCulture));
            }
            if (!Json.IsNull(item, "feed_mm_min"))
                words.Add("F" + Format.Num(Json.Num(item, "feed_mm_min"), inch));
            return string.Join(" ", words);
        }

        // The first hole with the full cycle, the others X Y (each with K when the set repeats).
        IEnumerable<string> Holes(XElement step)
        {
            List<double[]> holes = Json.Items(step, "holes").Select(Json.Pair).ToList();
            XElement p = step.Element("params");
            int cycle = Json.Int(step, "cycle");
            var words = new List<string>
            {
                "G" + Json.Int(p, "return_mode").ToString(CultureInfo.InvariantCulture),
                "G" + cycle.ToString(CultureInfo.InvariantCulture),
                "X" + Format.Num(holes[0][0], inch),
                "Y" + Format.Num(holes[0][1], inch),
                "Z" + Format.Num(Json.Num(p, "z_mm"), inch),
                "R" + Format.Num(Json.Num(p, "r_mm"), inch),
            };
            double q = Json.Num(p, "q_mm");
            if ((cycle == 73 || cycle == 83 || cycle == 76 || cycle == 87) && q != 0.0)
                words.Add("Q" + Format.Num(q, inch));
            string dwell = Json.Str(step, "dwell_word");  // in the unit the control reads
            if (dwell.Length > 0)
                words.Add(dwell);
            words.Add("F" + Format.Num(Json.Num(p, "feed_mm_min"), inch));
            int repeats = Json.Int(p, "repeats");
            string repeat = repeats != 1 ? " K" + repeats.ToString(CultureInfo.InvariantCulture) : "";
            yield return string.Join(" ", words) + repeat;
            foreach (double[] hole in holes.Skip(1))
                yield return "X" + Format.Num(hole[0], inch) + " Y" + Format.Num(hole[1], inch) + repeat;
        }

        // A block's own lines; its motion code in front of the first when the script says so.
        static IEnumerable<string> Block(XElement step, XElement item)
        {
            List<string> body = Json.Items(step, "lines").Select(l => l.Value).ToList();
            if (!Json.IsNull(item, "motion_prefix"))
            {
                string motion = "G" + Json.Int(item, "motion_prefix").ToString(CultureInfo.InvariantCulture) + " ";
                body[0] = Text.WordsInFront(body[0], motion);
            }
            return body;
        }
    }

    /// <summary>Line edits as ncopt.gcode.with_words_in_front makes them.</summary>
    internal static class Text
    {
        static readonly Regex NWord = new Regex(@"^(\s*N\d+\s*)", RegexOptions.IgnoreCase);

        public static string WordsInFront(string line, string words)
        {
            Match n = NWord.Match(line);
            int cut = n.Success ? n.Length : line.Length - line.TrimStart().Length;
            return line.Substring(0, cut) + words + line.Substring(cut);
        }
    }

    /// <summary>Numbers as ncopt.writer.format_number writes them.</summary>
    internal static class Format
    {
        /// <summary>Program units, 6 decimals at most, always a decimal point, never "-0.".</summary>
        public static string Num(double mm, bool inch)
        {
            double value = Math.Round(inch ? mm / 25.4 : mm, 6) + 0.0;  // + 0.0 turns -0 into 0
            string text = value.ToString("0.######", CultureInfo.InvariantCulture);
            return text.IndexOf('.') >= 0 ? text : text + ".";
        }
    }

    /// <summary>The JSON document as XML (the BCL's JSON reader), and typed access to it.</summary>
    internal static class Json
    {
        public static XElement Parse(string json)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(json);
            using (XmlDictionaryReader reader =
                JsonReaderWriterFactory.CreateJsonReader(bytes, XmlDictionaryReaderQuotas.Max))
            {
                return XElement.Load(reader, LoadOptions.PreserveWhitespace);
            }
        }

        static XElement Field(XElement e, string name)
        {
            XElement field = e.Element(name);
            if (field == null)
                throw new FormatException("program JSON: missing field " + name);
            return field;
        }

        public static string Str(XElement e, string name)
        {
            return Field(e, name).Value;
        }

        public static bool Bool(XElement e, string name)
        {
            return Field(e, name).Value == "true";
        }

        public static int Int(XElement e, string name)
        {
            return int.Parse(Field(e, name).Value, CultureInfo.InvariantCulture);
        }

        public static double Num(XElement e, string name)
        {
            return Number(Field(e, name));
        }

        static double Number(XElement e)
        {
            if ((string)e.Attribute("type") == "null")
                return double.NaN;  // an unknown coordinate
            return double.Parse(e.Value, NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        public static IEnumerable<XElement> Items(XElement e, string name)
        {
            return Field(e, name).Elements("item");
        }

        public static double[] Xyz(XElement e, string name)
        {
            return Items(e, name).Select(Number).ToArray();
        }

        public static bool IsNull(XElement e, string name)
        {
            XElement field = e.Element(name);
            return field == null || (string)field.Attribute("type") == "null";
        }

        public static double[] Pair(XElement e)
        {
            return e.Elements("item").Select(Number).ToArray();
        }
    }
}
