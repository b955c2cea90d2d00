package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/l10n"
)

//go:embed i18n/*.json
var i18nFS embed.FS

// languages lists the interface languages, English (the fallback) first.
var languages = []string{"en", "hi"}

// langNames names each language in itself, for the language switch.
var langNames = map[string]string{"en": "English", "hi": "हिन्दी"}

// langCookie holds a language chosen with the switch.
const langCookie = "vidya_lang"

// catalogue maps a language to its strings by key.
type catalogue map[string]map[string]string

func loadCatalogue() (catalogue, error) {
	c := catalogue{}
	for _, lang := range languages {
		b, err := i18nFS.ReadFile("i18n/" + lang + ".json")
		if err != nil {
			return nil, fmt.Errorf("web: catalogue %s: %w", lang, err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("web: catalogue %s: %w", lang, err)
		}
		c[lang] = m
	}
	// A key missing in one language would show the raw key to its readers;
	// refuse to start rather than ship that.
	for _, lang := range languages[1:] {
		if missing := diffKeys(c["en"], c[lang]); len(missing) > 0 {
			return nil, fmt.Errorf("web: catalogue %s lacks %v", lang, missing)
		}
		if extra := diffKeys(c[lang], c["en"]); len(extra) > 0 {
			return nil, fmt.Errorf("web: catalogue %s has keys English lacks: %v", lang, extra)
		}
	}
	return c, nil
}

// diffKeys returns the keys of a that b lacks, sorted.
func diffKeys(a, b map[string]string) []string {
	var out []string
	for k := range a {
		if _, ok := b[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// text returns the string for key in lang, falling back to English and
// then to the key itself.
func (c catalogue) text(lang, key string) string {
	if s, ok := c[lang][key]; ok {
		return s
	}
	if s, ok := c["en"][key]; ok {
		return s
	}
	return key
}

// lang picks the language of a request: the switch's cookie, else the
// signed-in user's locale, else Accept-Language, else English.
func (w *Web) lang(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil && slices.Contains(languages, c.Value) {
		return c.Value
	}
	if p := identity.PrincipalFrom(r.Context()); p != nil && slices.Contains(languages, p.User.Locale) {
		return p.User.Locale
	}
	return negotiate(r.Header.Get("Accept-Language"))
}

// negotiate picks the supported language the browser weighs highest.
func negotiate(header string) string {
	best, bestQ := "en", 0.0
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if !slices.Contains(languages, base) {
			continue
		}
		if q := qValue(params); q > bestQ {
			best, bestQ = base, q
		}
	}
	return best
}

// qValue reads the q= weight from header parameters (default 1).
func qValue(params string) float64 {
	for _, p := range strings.Split(params, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
			q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || q < 0 {
				return 0
			}
			return q
		}
	}
	return 1
}

// fieldLabels gives the catalogue key of each form field's label.
var fieldLabels = map[string]string{
	"email":            "field.email",
	"password":         "field.password",
	"name":             "field.name",
	"locale":           "field.locale",
	"code":             "field.code",
	"logo":             "field.logo",
	"image":            "field.image",
	"contact_email":    "field.contact_email",
	"contact_phone":    "field.contact_phone",
	"roles":            "field.roles",
	"current_password": "field.current_password",
	"new_password":     "field.new_password",
	"token":            "field.token",
	"role":             "field.scope",
	"authority":        "field.scope",
	"scope":            "field.scope",
	"token_name":       "field.token_name",
	"expires_in_days":  "field.expires",
	"action":           "field.action",
	"file":             "import.file",
	"format":           "import.format",
	"title":            "field.title",
	"test_id":          "field.test_id",
	"test_version":     "field.test_version",
	"starts_at":        "field.starts_at",
	"ends_at":          "field.ends_at",
	"late_entry":       "field.late_entry",
	"utc_offset":       "field.utc_offset",
	"roll_no":          "field.roll_no",
	"reissue_roll":     "field.roll_no",
	"minutes":          "field.minutes",
	"reason":           "field.reason",
}

// fieldMessages gives the pages' own wording for the commonest field
// messages: a whole sentence, shown without the field's label. Every other
// message is translated by the l10n catalogue and shown after the label.
var fieldMessages = map[string]string{
	"is required": "fielderr.required",
	"is taken":    "fielderr.taken",
	"is wrong":    "fielderr.wrong",
	"must be an e-mail address like name@example.org":                      "fielderr.email",
	fmt.Sprintf("must be at least %d characters", identity.MinPasswordLen): "fielderr.password_short",
	"is expired, used or unknown":                                          "fielderr.token",
}

// fieldMessage renders the service's message about a field for readers of
// lang: the pages' own sentence for the commonest messages, else the
// field's label and the message in lang (English when the catalogue lacks
// it).
func (w *Web) fieldMessage(lang, field, msg string) string {
	if msg == "" {
		return ""
	}
	if key, ok := fieldMessages[msg]; ok {
		if key == "fielderr.password_short" {
			return fmt.Sprintf(w.cat.text(lang, key), identity.MinPasswordLen)
		}
		return w.cat.text(lang, key)
	}
	label := field
	if key, ok := fieldLabels[field]; ok {
		label = w.cat.text(lang, key)
	}
	return label + ": " + l10n.Translate(lang, msg)
}
