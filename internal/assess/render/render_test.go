package render

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

func TestMarkdown(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string // substrings of the output
		lacks     []string
	}{
		{name: "paragraphs and emphasis", src: "One *two* **three**\n\nFour",
			want: []string{"<p>One <em>two</em> <strong>three</strong></p>", "<p>Four</p>"}},
		{name: "lists", src: "- a\n- b\n\n1. c\n2. d",
			want: []string{"<ul>\n<li>a</li>\n<li>b</li>\n</ul>", "<ol>\n<li>c</li>"}},
		{name: "tables", src: "| x | y |\n|---|---|\n| 1 | 2 |",
			want: []string{"<table>", "<th>x</th>", "<td>2</td>"}},
		{name: "code keeps dollars and underscores", src: "`$a_b$` and\n\n```\n$x_1$ <b>\n```",
			want: []string{"<code>$a_b$</code>", "<pre><code>$x_1$ &lt;b&gt;\n</code></pre>"}, lacks: []string{"math"}},
		{name: "inline maths keeps TeX intact", src: "Solve $x_1 * y_2 = a_b$ now",
			want: []string{`<span class="math" data-tex="x_1 * y_2 = a_b">x_1 * y_2 = a_b</span>`}, lacks: []string{"<em>"}},
		{name: "display maths alone is a block", src: "Given\n\n$$\\int_0^1 x^2\\,dx$$\n\nthen",
			want: []string{`<div class="math display" data-tex="\int_0^1 x^2\,dx">`}, lacks: []string{"<p><div"}},
		{name: "display maths within text is a span", src: "so $$a<b$$ holds",
			want: []string{`<span class="math display" data-tex="a&lt;b">a&lt;b</span>`}},
		{name: "escaped dollar is a dollar", src: `It costs \$5 and \$10`, want: []string{"It costs $5 and $10"}, lacks: []string{"math"}},
		{name: "prices are not maths", src: "It costs $5 and $10", want: []string{"It costs $5 and $10"}, lacks: []string{"math"}},
		{name: "escaped dollar inside maths", src: `$\$x$`, want: []string{`data-tex="\$x"`}},
		{name: "maths in image alt stays text", src: "![area $a_b$](fig.png)", want: []string{`alt="area a_b"`}, lacks: []string{"<span"}},
		{name: "http links get rel", src: "[site](https://example.org/a?b=1&c=2)",
			want: []string{`<a href="https://example.org/a?b=1&amp;c=2" rel="noopener nofollow">site</a>`}},
		{name: "autolinks", src: "<https://example.org>", want: []string{`<a href="https://example.org" rel="noopener nofollow">https://example.org</a>`}},
		{name: "relative images", src: "![a](img/x.png) ![b](/media/y.png \"t\")",
			want: []string{`<img src="img/x.png" alt="a"`, `<img src="/media/y.png" alt="b" title="t"`}},
		{name: "remote images are dropped", src: "![a](https://evil.example/x.png)![b](//evil.example/y.png)![c](data:image/png;base64,AAAA)",
			lacks: []string{"<img", "evil", "data:"}},
		{name: "raw HTML is escaped", src: "Hi <script>alert(1)</script> <b>bold</b>",
			want: []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;b&gt;bold&lt;/b&gt;"}, lacks: []string{"<script", "<b>"}},
		{name: "HTML blocks are escaped", src: "<div onclick=\"x()\">\nhello\n</div>",
			want: []string{"&lt;div onclick=&quot;x()&quot;&gt;"}, lacks: []string{"<div"}},
		{name: "javascript links lose the link", src: "[click](javascript:alert(1)) [x](JaVaScRiPt:alert(1)) <javascript:alert(1)>",
			want: []string{"click"}, lacks: []string{"<a", "href"}},
		{name: "relative links are dropped", src: "[x](/admin)", want: []string{"x"}, lacks: []string{"<a"}},
		{name: "image alt and title cannot add attributes", src: `![x" onerror="alert(1)](a.png "t\" onerror=\"alert(2)")`,
			lacks: []string{`" onerror`}},
		{name: "maths cannot carry HTML", src: "$<img src=x onerror=alert(1)>$",
			want: []string{`data-tex="&lt;img src=x onerror=alert(1)&gt;"`}, lacks: []string{"<img"}},
		{name: "placeholder characters from the author are neutralised", src: "a \uE0000\uE001 b $x$",
			want: []string{"a \uFFFD0\uFFFD b", `data-tex="x"`}},
		{name: "empty", src: "  \n", want: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := string(Markdown(tc.src))
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("output lacks %q:\n%s", w, got)
				}
			}
			for _, l := range tc.lacks {
				if strings.Contains(got, l) {
					t.Errorf("output has %q:\n%s", l, got)
				}
			}
			checkSafe(t, got)
		})
	}
}

// checkSafe fails if h could run script: a script element, an event
// handler attribute or a javascript: URL.
func checkSafe(t *testing.T, h string) {
	t.Helper()
	if strings.Contains(strings.ToLower(h), "<script") {
		t.Fatalf("output has <script:\n%s", h)
	}
	nodes, err := html.ParseFragment(strings.NewReader(h), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		t.Fatal(err)
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if n.Data == "script" || n.Data == "iframe" || n.Data == "object" || n.Data == "style" {
				t.Fatalf("output has <%s>:\n%s", n.Data, h)
			}
			for _, a := range n.Attr {
				if strings.HasPrefix(strings.ToLower(a.Key), "on") || a.Key == "style" {
					t.Fatalf("output has attribute %s:\n%s", a.Key, h)
				}
				v := strings.ToLower(strings.Join(strings.Fields(a.Val), ""))
				if (a.Key == "href" || a.Key == "src") && !(strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://") || !strings.Contains(strings.SplitN(v, "/", 2)[0], ":")) {
					t.Fatalf("output has %s=%q:\n%s", a.Key, a.Val, h)
				}
				if strings.Contains(v, "javascript:") {
					t.Fatalf("output has javascript: in %s:\n%s", a.Key, h)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range nodes {
		walk(n)
	}
}

func FuzzMarkdown(f *testing.F) {
	for _, s := range []string{
		"*a* $x_1$ $$y$$ `c`", "<script>alert(1)</script>", "[x](javascript:alert(1))", "![a\" onerror=alert(1)](x.png)",
		"$<img src=x onerror=alert(1)>$", "| a |\n|---|\n| $b$ |", "<a href=\"javascript:x\">y</a>", "\\$5 $$\n\n$$ $a\\$b$",
		"![$x$](a.png \"$y$\")", "<img src=x onerror=alert(1)>", "[a](<javascript:x>)", "&lt;script&gt;",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		out := string(Markdown(src))
		if strings.Contains(strings.ToLower(out), "<script") {
			t.Fatalf("<script in output of %q:\n%s", src, out)
		}
		checkSafe(t, out)
	})
}
