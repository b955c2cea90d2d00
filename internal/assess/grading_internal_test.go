package assess

import (
	"encoding/json"
	"testing"
)

func gradeItem(id int64, key string, marks, penalty float64) *Item {
	return &Item{ID: id, Type: SingleChoice, Text: map[string]Text{"en": {Stem: "Q", Choices: map[string]string{"A": "a", "B": "b"}}},
		Choices: []Choice{{ID: "A"}, {ID: "B"}}, Key: Key{Choices: []string{key}}, Scoring: Scoring{Marks: marks, Penalty: penalty}}
}

func pick(c string) *Response { return &Response{Choices: []string{c}} }

// TestGradeHandWorked checks grading against cases worked by hand.
func TestGradeHandWorked(t *testing.T) {
	multi := &Item{ID: 9, Type: MultipleResponse, Text: map[string]Text{"en": {Stem: "Q", Choices: map[string]string{"A": "a", "B": "b", "C": "c"}}},
		Choices: []Choice{{ID: "A"}, {ID: "B"}, {ID: "C"}}, Key: Key{Choices: []string{"A", "B"}},
		Scoring: Scoring{Marks: 2, Weights: map[string]float64{"A": 1, "B": 1, "C": -1}}}
	essay := &Item{ID: 10, Type: Essay, Text: map[string]Text{"en": {Stem: "Write"}}, Scoring: Scoring{Marks: 10}}
	v := &TestVersion{Items: map[int64]*Item{}}
	for id := int64(1); id <= 7; id++ {
		v.Items[id] = gradeItem(id, "A", 1, 0)
	}
	v.Items[9], v.Items[10] = multi, essay
	v.Test.Sections = []Section{
		// Section A: any 5 of 7, every question +4/−1 whatever the item says.
		{ID: "A", Attempt: 5, Marking: &Marking{Marks: 4, Penalty: 1}, Questions: []Question{{ItemID: 1}, {ItemID: 2}, {ItemID: 3}, {ItemID: 4}, {ItemID: 5}, {ItemID: 6}, {ItemID: 7}}},
		// Section B: the items' own marks, the weighted item scaled to 6.
		{ID: "B", Marking: &Marking{Marks: 6}, Questions: []Question{{ItemID: 9}}},
		{ID: "C", Questions: []Question{{ItemID: 10}}},
	}
	le := &liveExam{v: v}
	paper := v.Paper([32]byte{}) // no shuffling: authored order

	answers := map[int64]*Response{
		1: pick("A"), 2: pick("B"), 3: pick("A"), 5: pick("A"), 6: pick("B"), // five answered: +4 −1 +4 +4 −1
		7:  pick("A"),                     // the sixth answered: ignored
		9:  {Choices: []string{"A", "C"}}, // weights 1 − 1 = 0, scaled ×3 → 0
		10: {Text: "An essay."},
	}
	res, err := le.grade(paper, answers)
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := res.Sections[0], res.Sections[1], res.Sections[2]
	if a.Score != 10 || a.Max != 20 || a.Answered != 5 || a.Correct != 3 || a.Wrong != 2 {
		t.Errorf("section A = %+v, want score 10 of 20, 5 answered, 3 right, 2 wrong", a)
	}
	if !res.Items[6].Ignored || res.Items[6].Score != 0 {
		t.Errorf("the sixth answer in an any-5 section counted: %+v", res.Items[6])
	}
	if b.Score != 0 || b.Max != 6 {
		t.Errorf("section B = %+v, want 0 of 6", b)
	}
	if c.Score != 0 || c.Max != 10 || res.Pending != 1 || !res.Items[8].Manual {
		t.Errorf("section C = %+v, pending %d: the essay waits for a marker", c, res.Pending)
	}
	if res.Score != 10 || res.Max != 36 {
		t.Errorf("total %v of %v, want 10 of 36", res.Score, res.Max)
	}

	t.Run("scaled partial credit", func(t *testing.T) {
		res, err := le.grade(paper, map[int64]*Response{9: {Choices: []string{"A"}}})
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Sections[1].Score; got != 3 { // weight 1 of best 2, on 6 marks
			t.Fatalf("partial credit %v, want 3", got)
		}
	})
	t.Run("nothing answered", func(t *testing.T) {
		res, err := le.grade(paper, nil)
		if err != nil || res.Score != 0 || res.Sections[0].Answered != 0 {
			t.Fatalf("%+v, %v", res, err)
		}
	})
}

// BenchmarkGradeAttempt grades one candidate's 100-question attempt as the
// grading job does: work out the paper from the seed, score every answer,
// encode the result. 450,000 attempts must be graded within 2 minutes:
// 267 µs an attempt on one core.
func BenchmarkGradeAttempt(b *testing.B) {
	v := &TestVersion{Items: map[int64]*Item{}}
	var qs []Question
	for id := int64(1); id <= 100; id++ {
		it := gradeItem(id, "A", 4, 1)
		it.Shuffle = true
		v.Items[id] = it
		qs = append(qs, Question{ItemID: id})
	}
	v.Test.Sections = []Section{{ID: "A", Shuffle: true, ShuffleChoices: true, Questions: qs}}
	le := &liveExam{v: v, exam: &ExamInfo{secret: []byte("secret")}}
	answers := map[int64]*Response{}
	for id := int64(1); id <= 100; id++ {
		answers[id] = pick([]string{"A", "B"}[id%2])
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		res, err := le.grade(v.Paper(PaperSeed(le.exam.secret, int64(i))), answers)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(res); err != nil {
			b.Fatal(err)
		}
	}
}
