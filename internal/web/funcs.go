package web

import (
	"encoding/json"
	"fmt"
	"html/template"
	"slices"
	"strings"
	"time"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/l10n"
)

// fieldView is one labelled input, with its hint and error linked to it
// for screen readers.
type fieldView struct {
	ID, Name, Type, Label, Value, Hint, Err, Auto, Mode string
	Required                                            bool
	Describedby                                         string
}

// segment is a piece of e-mail text, a link or plain.
type segment struct {
	Text string
	Link bool
}

// funcs returns the template functions for one language.
func (w *Web) funcs(lang string) template.FuncMap {
	t := func(key string) string { return w.cat.text(lang, key) }
	return template.FuncMap{
		"t": t,
		"tf": func(key string, args ...any) string {
			return fmt.Sprintf(w.cat.text(lang, key), args...)
		},
		"role":   func(r identity.Role) string { return t("role." + string(r)) },
		"roles":  func() []identity.Role { return identity.Roles },
		"static": w.assets.url,
		"label":  func(name string) string { return t(fieldLabels[name]) },
		"fielderr": func(f *form, name string) string {
			return w.fieldMessage(lang, name, f.Err(name))
		},
		"field": func(f *form, name, typ, hint string, opts ...string) fieldView {
			v := fieldView{ID: "f-" + name, Name: name, Type: typ, Label: t(fieldLabels[name])}
			if typ != "password" {
				v.Value = f.Get(name)
			}
			if hint != "" {
				v.Hint = t(hint)
				if strings.Contains(v.Hint, "%d") {
					v.Hint = fmt.Sprintf(v.Hint, identity.MinPasswordLen)
				}
				v.Describedby = v.ID + "-hint"
			}
			if msg := f.Err(name); msg != "" {
				v.Err = w.fieldMessage(lang, name, msg)
				v.Describedby = strings.TrimSpace(v.Describedby + " " + v.ID + "-err")
			}
			for _, o := range opts {
				k, val, _ := strings.Cut(o, "=")
				switch k {
				case "req":
					v.Required = true
				case "auto":
					v.Auto = val
				case "mode":
					v.Mode = val
				case "label":
					v.Label = t(val)
				}
			}
			return v
		},
		"errfields": func(f *form) []string {
			if f == nil {
				return nil
			}
			var names []string
			for k := range f.Errors {
				names = append(names, k)
			}
			slices.Sort(names)
			return names
		},
		"when": func(v any) string {
			switch x := v.(type) {
			case time.Time:
				if x.IsZero() {
					return ""
				}
				return x.UTC().Format("2006-01-02 15:04 UTC")
			case *time.Time:
				if x == nil {
					return ""
				}
				return x.UTC().Format("2006-01-02 15:04 UTC")
			}
			return ""
		},
		"iso": func(x time.Time) string { return x.UTC().Format(time.RFC3339) },
		"details": func(d map[string]any) string {
			if len(d) == 0 {
				return ""
			}
			b, err := json.Marshal(d)
			if err != nil {
				return ""
			}
			return string(b)
		},
		"langs": func() []langLink {
			var out []langLink
			for _, l := range languages {
				out = append(out, langLink{Code: l, Name: langNames[l]})
			}
			return out
		},
		"itemtype":     func(x assess.ItemType) string { return t(typeKeys[x]) },
		"itemstatus":   func(x assess.Status) string { return t(statusKeys[x]) },
		"statusaction": func(x assess.Status) string { return t(statusActionKeys[x]) },
		"difficulty":   func(x string) string { return t(difficultyKeys[x]) },
		"outcome":      func(x string) string { return t(outcomeKeys[x]) },
		"langname":     func(code string) string { return langNames[code] },
		// ef is one field of the item editor: its name is the bank's field
		// path, so the service's errors land on it.
		"ef": func(f *form, name, typ, label string, opts ...string) fieldView {
			v := fieldView{ID: "f-" + name, Name: name, Type: typ, Label: label, Value: f.Get(name), Err: f.Err(name)}
			for _, o := range opts {
				k, val, _ := strings.Cut(o, "=")
				switch k {
				case "mode":
					v.Mode = val
				case "hint":
					v.Hint = val
				}
			}
			return v
		},
		"hasrole": func(rs []identity.Role, r identity.Role) bool { return slices.Contains(rs, r) },
		// tmsg shows a message from a service (an import line's reason or
		// note) in the page's language, or as written when the l10n
		// catalogue lacks it.
		"tmsg":    func(msg string) string { return l10n.Translate(lang, msg) },
		"linkify": linkify,
	}
}

// linkify splits text into plain runs and http(s) links, so e-mailed links
// in the outbox can be followed.
func linkify(s string) []segment {
	var out []segment
	for len(s) > 0 {
		i := strings.Index(s, "http://")
		if j := strings.Index(s, "https://"); j >= 0 && (i < 0 || j < i) {
			i = j
		}
		if i < 0 {
			out = append(out, segment{Text: s})
			break
		}
		if i > 0 {
			out = append(out, segment{Text: s[:i]})
		}
		end := strings.IndexAny(s[i:], " \t\r\n<>\"")
		if end < 0 {
			end = len(s) - i
		}
		out = append(out, segment{Text: s[i : i+end], Link: true})
		s = s[i+end:]
	}
	return out
}
