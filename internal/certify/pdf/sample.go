package pdf

import (
	"slices"
	"strings"
)

// sampleValue is a plausible value for fields whose name holds one of the
// keys, in English and in Hindi.
type sampleValue struct {
	keys   []string
	en, hi string
}

// samples are tried in order; the first with a key that is a word of the
// field name wins, so that father.name is the father's name.
var samples = []sampleValue{
	{[]string{"father", "guardian"}, "Rajesh Kumar Sharma", "राजेश कुमार शर्मा"},
	{[]string{"mother"}, "Sunita Sharma", "सुनीता शर्मा"},
	{[]string{"name", "recipient"}, "Priya Sharma", "प्रिया शर्मा"},
	{[]string{"date", "issued", "dob", "birth", "on"}, "15 August 2025", "15 अगस्त 2025"},
	{[]string{"session"}, "2024–25", "2024–25"},
	{[]string{"year"}, "2025", "2025"},
	{[]string{"grade", "cgpa", "gpa"}, "A1", "A1"},
	{[]string{"score", "marks", "percent", "percentage", "total"}, "472 / 500 (94.4%)", "472 / 500 (94.4%)"},
	{[]string{"result", "status"}, "Passed with distinction", "विशेष योग्यता सहित उत्तीर्ण"},
	{[]string{"division"}, "First Division", "प्रथम श्रेणी"},
	{[]string{"roll", "enrolment", "enrollment", "registration", "reg", "number", "no", "id", "serial", "code"}, "2025-DL-0045127", "2025-DL-0045127"},
	{[]string{"course", "exam", "examination", "programme", "program", "subject", "title", "qualification", "achievement", "badge"},
		"Senior Secondary Examination 2025", "वरिष्ठ माध्यमिक परीक्षा 2025"},
	{[]string{"board", "authority", "issuer", "institution", "institute", "school", "college", "university", "centre", "center"},
		"Board of Secondary Education", "माध्यमिक शिक्षा बोर्ड"},
	{[]string{"place", "city", "district", "state", "address"}, "New Delhi", "नई दिल्ली"},
}

// hindiLangs are the languages whose sample values are in Devanagari.
var hindiLangs = []string{"hi", "mr", "ne", "sa", "mai", "kok", "bho", "doi"}

// Sample returns plausible values for the fields the template shows, for a
// preview: a name where a name goes, a date where a date goes, in Hindi
// when the field's name or language says so (holder.name_hi, lang "hi").
func Sample(t Template) map[string]string {
	out := map[string]string{}
	for _, e := range t.Elements {
		if e.Type != ElemText || e.Field == "" {
			continue
		}
		if _, ok := out[e.Field]; ok {
			continue
		}
		words := strings.FieldsFunc(strings.ToLower(e.Field), func(r rune) bool {
			return r == '.' || r == '_' || r == '-' || r >= '0' && r <= '9'
		})
		lang, _, _ := strings.Cut(strings.ToLower(e.Lang), "-")
		hindi := slices.Contains(hindiLangs, lang) || slices.Contains(words, "hi") || slices.Contains(words, "hindi")
		value := ""
		for _, s := range samples {
			if slices.ContainsFunc(words, func(w string) bool { return slices.Contains(s.keys, w) }) {
				value = s.en
				if hindi {
					value = s.hi
				}
				break
			}
		}
		if value == "" {
			value = "Sample " + strings.Join(words, " ")
			if hindi {
				value = "नमूना"
			}
		}
		out[e.Field] = value
	}
	return out
}
