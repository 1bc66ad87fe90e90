// An example post-processor for NC Optimizer: the same Fanuc-style output as the built-in post
// (ncopt/emit.py), written in C# against the documented interface (docs/dotnet-post.md):
//
//   - a public class with a public parameterless constructor,
//   - a public method  string Emit(string programJson)  that returns the NC text.
//
// The program arrives as JSON (schema "ncopt.program/1"): "text" pieces are copied as they are,
// "group" pieces are the groups the optimizer reordered, with every operation in its new order.
// A shop's own post would write its own dialect here; this one writes exactly what the built-in
// post writes, so the two can be compared line for line.
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
            if (schema != "ncopt.program/1")
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

    /// <summary>Modal words an operation relies on (ncopt.program.Modal).</summary>
    internal sealed class Modal
    {
        public int Motion;  // 0-3, or the canned cycle number
        public double Feed;  // mm/min, <= 0 when unknown
        public int Plane;  // 17, 18, 19 (0 when unknown)
        public bool Absolute;
        public bool Inch;

        public Modal(int motion, double feed, int plane, bool absolute, bool inch)
        {
            Motion = motion;
            Feed = feed;
            Plane = plane;
            Absolute = absolute;
            Inch = inch;
        }

        public static Modal From(XElement e)
        {
            return new Modal(
                Json.Int(e, "motion"), Json.Num(e, "feed_mm_min"), Json.Int(e, "plane"),
                Json.Bool(e, "absolute"), Json.Bool(e, "inch"));
        }
    }

    /// <summary>Writes one reordered group as ncopt.emit does (see its module docstring).</summary>
    internal sealed class GroupWriter
    {
        static readonly HashSet<int> Cycles =
            new HashSet<int> { 73, 74, 76, 81, 82, 83, 84, 85, 86, 87, 88, 89 };
        static readonly Regex NWord = new Regex(@"^(\s*N\d+\s*)");

        readonly XElement group;
        readonly bool inch;
        readonly List<string> lines = new List<string>();
        double[] xyz;  // where the emitted code has left the machine (NaN: unknown)
        Modal modal;  // what the emitted code has established (null: unknown, restate it)

        public GroupWriter(XElement group)
        {
            this.group = group;
            inch = Json.Bool(group, "inch");
            xyz = Json.Xyz(group, "start_xyz");
        }

        public List<string> Lines()
        {
            foreach (XElement step in Json.Items(group, "steps"))
            {
                lines.AddRange(Json.Items(step, "comments").Select(c => c.Value));
                string type = Json.Str(step, "type");
                if (type == "holes")
                    Holes(step);
                else if (Json.Bool(step, "reversed"))
                    ReversedBlock(step);
                else
                    Block(step);
            }
            var after = new HashSet<string>(Json.Items(group, "next_line_words").Select(w => w.Value));
            Leave(Json.Xyz(group, "leave_xyz"), Modal.From(group.Element("modal_out")), after);
            return lines;
        }

        // Rapid to the target: up first, XY, then down; before holes only Z when it can be.
        void Position(double[] target, bool holes)
        {
            double x = target[0], y = target[1], z = target[2];
            bool up = double.IsNaN(xyz[2]) || xyz[2] < z;
            bool down = xyz[2] > z;
            bool xy = !(x == xyz[0] && y == xyz[1]) && (down || !holes);
            if (!(up || down || xy))
                return;
            var words = new List<string>();
            if (modal == null || Cycles.Contains(modal.Motion))
                lines.Add("G80");
            if (modal == null || !modal.Absolute)
                words.Add("G90");
            if (up)
            {
                words.Add("G0");
                words.Add("Z" + Format.Num(z, inch));
                lines.Add(string.Join(" ", words));
                words.Clear();
            }
            if (xy)
            {
                words.Add("G0");
                words.Add("X" + Format.Num(x, inch));
                words.Add("Y" + Format.Num(y, inch));
                lines.Add(string.Join(" ", words));
                words.Clear();
            }
            if (down)
            {
                words.Add("G0");
                words.Add("Z" + Format.Num(z, inch));
                lines.Add(string.Join(" ", words));
            }
            Modal old = modal;
            modal = new Modal(0, old != null ? old.Feed : -1.0, old != null ? old.Plane : 0, true, inch);
            xyz = xy ? new[] { x, y, z } : new[] { xyz[0], xyz[1], z };
        }

        void Block(XElement step)
        {
            Position(Json.Xyz(step, "entry_xyz"), false);
            Modal want = Modal.From(step.Element("modal_in"));
            Modal have = modal;
            var words = new List<string>();
            if (have == null || have.Absolute != want.Absolute)
                words.Add(want.Absolute ? "G90" : "G91");
            if (have == null || have.Plane != want.Plane)
                words.Add("G" + want.Plane.ToString(CultureInfo.InvariantCulture));
            if (want.Feed > 0 && (have == null || have.Feed != want.Feed))
                words.Add("F" + Format.Num(want.Feed, inch));
            if (words.Count > 0)
                lines.Add(string.Join(" ", words));
            List<string> body = Json.Items(step, "lines").Select(l => l.Value).ToList();
            string first = body[0];
            bool sameMotion = have != null && have.Motion == want.Motion;
            if (!sameMotion && !Json.Bool(step, "first_line_has_motion"))
            {
                Match n = NWord.Match(first);
                int cut = n.Success ? n.Length : 0;
                first = first.Substring(0, cut) + "G" + want.Motion.ToString(CultureInfo.InvariantCulture)
                    + " " + first.Substring(cut);
            }
            lines.Add(first);
            lines.AddRange(body.Skip(1));
            xyz = Json.Xyz(step, "exit_xyz");
            modal = Modal.From(step.Element("modal_out"));
        }

        // A block cut backwards: its lines carry their own motion words.
        void ReversedBlock(XElement step)
        {
            Position(Json.Xyz(step, "entry_xyz"), false);
            var words = new List<string>();
            if (modal == null || !modal.Absolute)
                words.Add("G90");
            if (modal == null || modal.Plane != 17)
                words.Add("G17");
            if (words.Count > 0)
                lines.Add(string.Join(" ", words));
            lines.AddRange(Json.Items(step, "lines").Select(l => l.Value));
            xyz = Json.Xyz(step, "exit_xyz");
            modal = Modal.From(step.Element("modal_out"));
        }

        void Holes(XElement step)
        {
            List<double[]> holes = Json.Items(step, "holes").Select(Json.Pair).ToList();
            if (holes.Count == 0)
                return;
            XElement p = step.Element("params");
            int cycle = Json.Int(step, "cycle");
            double feed = Json.Num(p, "feed_mm_min");
            // The initial level (G98 returns there) is the Z the cycle starts from: restore it.
            Position(new[] { holes[0][0], holes[0][1], Json.Num(step, "initial_z_mm") }, true);
            if (modal == null || !modal.Absolute)
                lines.Add("G90");
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
            double dwell = Json.Num(p, "dwell_s");
            if (dwell != 0.0)
                words.Add("P" + ((long)Math.Round(dwell * 1000.0)).ToString(CultureInfo.InvariantCulture));
            words.Add("F" + Format.Num(feed, inch));
            int repeats = Json.Int(p, "repeats");
            if (repeats != 1)
                words.Add("K" + repeats.ToString(CultureInfo.InvariantCulture));
            lines.Add(string.Join(" ", words));
            foreach (double[] hole in holes.Skip(1))
                lines.Add("X" + Format.Num(hole[0], inch) + " Y" + Format.Num(hole[1], inch));
            double[] last = holes[holes.Count - 1];
            xyz = new[] { last[0], last[1], Json.Num(p, "return_z_mm") };
            modal = new Modal(cycle, feed, 17, true, inch);
        }

        // Hand over to the untouched lines: their level and the modal state they rely on.
        void Leave(double[] exit, Modal want, HashSet<string> after)
        {
            if (modal != null && Cycles.Contains(modal.Motion) && !Cycles.Contains(want.Motion))
            {
                if (!after.Contains("G80"))
                    lines.Add("G80");
                modal = new Modal(80, modal.Feed, modal.Plane, modal.Absolute, inch);
                if (after.Contains("G0") || after.Contains("G1") || after.Contains("G80"))
                    return;
            }
            if (!double.IsNaN(exit[2]) && xyz[2] < exit[2])
            {
                lines.Add("G0 Z" + Format.Num(exit[2], inch));
                modal = new Modal(0, modal.Feed, modal.Plane, modal.Absolute, inch);
            }
            var words = new List<string>();
            if (modal.Absolute != want.Absolute)
                words.Add(want.Absolute ? "G90" : "G91");
            if ((want.Motion == 0 || want.Motion == 1) && modal.Motion != want.Motion)
                words.Add("G" + want.Motion.ToString(CultureInfo.InvariantCulture));
            if (want.Feed > 0 && modal.Feed != want.Feed)
                words.Add("F" + Format.Num(want.Feed, inch));
            if (words.Count > 0)
                lines.Add(string.Join(" ", words));
        }
    }

    /// <summary>Numbers as ncopt.emit.format_number writes them.</summary>
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

        public static double[] Pair(XElement e)
        {
            return e.Elements("item").Select(Number).ToArray();
        }
    }
}
