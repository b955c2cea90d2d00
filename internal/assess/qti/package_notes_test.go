package qti

import (
	"slices"
	"testing"
)

// Notes of a package's items reach the import, companions' too.
func TestReadPackageNotes(t *testing.T) {
	tf := func(lang, label string) []byte {
		return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="tf" title="x" adaptive="false" timeDependent="false" xml:lang="` + lang + `">
<responseDeclaration identifier="R" cardinality="single" baseType="identifier"><correctResponse><value>true</value></correctResponse></responseDeclaration>
<itemBody><choiceInteraction responseIdentifier="R"><prompt>Q</prompt><simpleChoice identifier="true">` + label + `</simpleChoice><simpleChoice identifier="false">false</simpleChoice></choiceInteraction></itemBody></assessmentItem>`)
	}
	data := zipOf(t,
		manifest(res("R1", "imsqti_item_xmlv2p1", "items/tf.xml", "items/tf.hi.xml")),
		entry{"items/tf.xml", tf("en", "True")},
		entry{"items/tf.hi.xml", tf("hi", "सही")},
	)
	got, err := readAll(t, data, Options{})
	if err != nil || len(got) != 1 || got[0].Err != nil {
		t.Fatalf("%v %+v", err, got)
	}
	want := []string{
		`the true/false choices' labels "True" and "false" are dropped: the runner labels them in the candidate's language`,
		`companion items/tf.hi.xml: the true/false choices' labels "सही" and "false" are dropped: the runner labels them in the candidate's language`,
	}
	if !slices.Equal(got[0].Notes, want) {
		t.Errorf("notes\n got %q\nwant %q", got[0].Notes, want)
	}
}
