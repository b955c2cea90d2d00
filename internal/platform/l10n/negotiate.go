package l10n

import (
	"sync"

	"golang.org/x/text/language"
)

var (
	matcherOnce sync.Once
	matcher     language.Matcher
	matchLangs  []string
)

// Negotiate picks the language of an Accept-Language header that messages
// can be shown in, Default when the header is empty, malformed or names
// only languages we lack.
func Negotiate(acceptLanguage string) string {
	if acceptLanguage == "" {
		return Default
	}
	matcherOnce.Do(func() {
		matchLangs = Languages()
		tags := make([]language.Tag, len(matchLangs))
		for i, l := range matchLangs {
			tags[i] = language.Make(l)
		}
		matcher = language.NewMatcher(tags)
	})
	want, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(want) == 0 {
		return Default
	}
	_, i, conf := matcher.Match(want...)
	if conf == language.No || i < 0 || i >= len(matchLangs) {
		return Default
	}
	return matchLangs[i]
}
