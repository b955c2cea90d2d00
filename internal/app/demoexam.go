package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database"
)

// The demo exam: a short bilingual paper whose shift is moved to now on
// every `serve --demo`, with three candidates whose attempts are cleared
// each time, so anyone can try the exam runner straight away.
const demoExamTitle = "Demo exam: arithmetic and science"

var demoCandidates = []struct{ roll, name, code string }{
	{"DEMO1", "अनन्या शर्मा", "7777-7777-7777-7701"},
	{"DEMO2", "Rahul Verma", "7777-7777-7777-7702"},
	{"DEMO3", "Fatima Sheikh", "7777-7777-7777-7703"},
}

func demoItems() []*assess.Item {
	choice := func(en, hi string, enC, hiC []string, key string, topic string) *assess.Item {
		ids := []string{"A", "B", "C", "D"}
		it := &assess.Item{Type: assess.SingleChoice, Shuffle: true, Key: assess.Key{Choices: []string{key}},
			Scoring: assess.Scoring{Marks: 4, Penalty: 1}, Tags: assess.Tags{Topic: topic, Difficulty: "easy"},
			Text: map[string]assess.Text{"en": {Stem: en, Choices: map[string]string{}}, "hi": {Stem: hi, Choices: map[string]string{}}}}
		for i, id := range ids[:len(enC)] {
			it.Choices = append(it.Choices, assess.Choice{ID: id})
			it.Text["en"].Choices[id], it.Text["hi"].Choices[id] = enC[i], hiC[i]
		}
		return it
	}
	return []*assess.Item{
		choice("What is $12 \\times 12$?", "$12 \\times 12$ कितना है?", []string{"124", "144", "132", "154"}, []string{"124", "144", "132", "154"}, "B", "maths"),
		choice("Which gas do plants take in for photosynthesis?", "प्रकाश संश्लेषण के लिए पौधे कौन-सी गैस लेते हैं?",
			[]string{"Oxygen", "Nitrogen", "Carbon dioxide", "Hydrogen"}, []string{"ऑक्सीजन", "नाइट्रोजन", "कार्बन डाइऑक्साइड", "हाइड्रोजन"}, "C", "science"),
		{Type: assess.Numeric, Key: assess.Key{Numeric: &assess.NumericKey{Value: 0.25, Tolerance: 0.001}}, Scoring: assess.Scoring{Marks: 4},
			Tags: assess.Tags{Topic: "maths"}, Text: map[string]assess.Text{"en": {Stem: "Write $\\frac{1}{4}$ as a decimal."}, "hi": {Stem: "$\\frac{1}{4}$ को दशमलव में लिखिए।"}}},
		{Type: assess.TrueFalse, Choices: []assess.Choice{{ID: "true"}, {ID: "false"}}, Key: assess.Key{Choices: []string{"false"}}, Scoring: assess.Scoring{Marks: 2},
			Tags: assess.Tags{Topic: "science"}, Text: map[string]assess.Text{"en": {Stem: "Sound travels faster than light."}, "hi": {Stem: "ध्वनि प्रकाश से तेज़ चलती है।"}}},
		{Type: assess.MultipleResponse, Choices: []assess.Choice{{ID: "A"}, {ID: "B"}, {ID: "C"}, {ID: "D"}}, Key: assess.Key{Choices: []string{"A", "C"}},
			Scoring: assess.Scoring{Marks: 4, Weights: map[string]float64{"A": 2, "C": 2, "B": -1, "D": -1}}, Tags: assess.Tags{Topic: "maths"},
			Text: map[string]assess.Text{
				"en": {Stem: "Which of these are prime numbers?", Choices: map[string]string{"A": "2", "B": "9", "C": "13", "D": "21"}},
				"hi": {Stem: "इनमें से कौन-सी अभाज्य संख्याएँ हैं?", Choices: map[string]string{"A": "२", "B": "९", "C": "१३", "D": "२१"}}}},
	}
}

// loadDemoExam makes the demo exam if it is missing, opens its shift now
// for the next twelve hours, and clears the demo candidates' attempts.
func loadDemoExam(ctx context.Context, db *database.DB, id *identity.Service, bank *assess.Service) error {
	person := func(email string) (*identity.Principal, error) { return demoPrincipal(ctx, id, email) }
	var examID int64
	err := db.QueryRow(ctx, `SELECT e.id FROM exams e JOIN authorities a ON a.id = e.authority_id WHERE a.code = 'DEMO' AND e.title = $1`, demoExamTitle).Scan(&examID)
	if err != nil && !errors.Is(err, database.ErrNoRows) {
		return err
	}
	if examID == 0 {
		admin, err := person("admin@demo.vidya.test")
		if err != nil {
			return err
		}
		author, err := person("author@demo.vidya.test")
		if err != nil {
			return err
		}
		approver, err := person("approver@demo.vidya.test")
		if err != nil {
			return err
		}
		var qs []assess.Question
		for _, it := range demoItems() {
			made, err := bank.CreateItem(ctx, author, "DEMO", it)
			if err != nil {
				return fmt.Errorf("demo item: %w", err)
			}
			if made, err = bank.SetStatus(ctx, approver, "DEMO", made.ID, made.Revision, assess.Reviewed); err != nil {
				return err
			}
			if _, err = bank.SetStatus(ctx, approver, "DEMO", made.ID, made.Revision, assess.Published); err != nil {
				return err
			}
			qs = append(qs, assess.Question{ItemID: made.ID})
		}
		t, err := bank.CreateTest(ctx, author, "DEMO", &assess.Test{Kind: assess.Exam, Title: demoExamTitle, Languages: []string{"en", "hi"}, Duration: 20 * 60,
			Instructions: map[string]string{
				"en": "Five questions, **20 minutes**. Each choice question: +4 for a right answer, −1 for a wrong one.",
				"hi": "पाँच प्रश्न, **20 मिनट**। प्रत्येक विकल्प प्रश्न: सही उत्तर पर +4, ग़लत पर −1।"},
			Sections: []assess.Section{{ID: "A", Title: map[string]string{"en": "Science and maths", "hi": "विज्ञान और गणित"}, Shuffle: true, ShuffleChoices: true, Questions: qs}}})
		if err != nil {
			return fmt.Errorf("demo test: %w", err)
		}
		if _, err := bank.PublishTest(ctx, approver, "DEMO", t.ID, t.Revision); err != nil {
			return fmt.Errorf("demo test: %w", err)
		}
		e, err := bank.CreateExam(ctx, admin, "DEMO", t.ID, 0, demoExamTitle)
		if err != nil {
			return err
		}
		examID = e.ID
		now := time.Now().UTC().Truncate(time.Second)
		if _, err := bank.AddShift(ctx, admin, "DEMO", examID, assess.Shift{Code: "demo", StartsAt: now, LateEntry: 12 * 3600, EndsAt: now.Add(13 * time.Hour)}); err != nil {
			return err
		}
		var list []assess.Candidate
		for _, c := range demoCandidates {
			list = append(list, assess.Candidate{RollNo: c.roll, Name: c.name, Shift: "demo"})
		}
		if _, err := bank.RegisterCandidates(ctx, admin, "DEMO", examID, list); err != nil {
			return err
		}
	}
	// Every start: the shift opens now, the demo candidates start afresh
	// with their well-known codes.
	now := time.Now().UTC().Truncate(time.Second)
	return db.InTx(ctx, func(tx *database.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE shifts SET starts_at = $1, late_entry = $2, ends_at = $3 WHERE exam_id = $4 AND code = 'demo'`,
			now.Add(-time.Minute), 12*3600, now.Add(13*time.Hour), examID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM attempts WHERE exam_id = $1`, examID); err != nil {
			return err
		}
		for _, c := range demoCandidates {
			h, _ := assess.HashAccessCode(c.code)
			if _, err := tx.Exec(ctx, `UPDATE candidates SET code_hash = $1, code_issued_at = $2, extra_time = 0 WHERE exam_id = $3 AND roll_no = $4`, h, now, examID, c.roll); err != nil {
				return err
			}
		}
		return nil
	})
}

func printDemoExam(w io.Writer, baseURL string) {
	fmt.Fprintf(w, "Exam day: open %s/exam/ and sign in as a candidate (the shift is open now, attempts are cleared on every start):\n", baseURL)
	for _, c := range demoCandidates {
		fmt.Fprintf(w, "  roll number %-6s access code %s\n", c.roll, c.code)
	}
	fmt.Fprintln(w)
}
