package assess

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

func TestValidateMaxChoices(t *testing.T) {
	ok := map[string]func(*Item){
		"no limit":                        func(it *Item) { it.MaxChoices = 0 },
		"as many as the key":              func(it *Item) { it.MaxChoices = 2 },
		"between the key and the choices": func(it *Item) { it.MaxChoices = 3 },
		"as many as the choices":          func(it *Item) { it.MaxChoices = 4 },
	}
	for name, edit := range ok {
		t.Run(name+" is valid", func(t *testing.T) {
			it := validItem(MultipleResponse) // four choices, key A and C
			edit(it)
			if err := it.Validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
	bad := []struct {
		name string
		typ  ItemType
		max  int
		want string
	}{
		{"negative", MultipleResponse, -1, "must be 0 (no limit) or more"},
		{"more than the choices", MultipleResponse, 5, "is 5, but the item has 4 choices"},
		{"fewer than the key", MultipleResponse, 1, "is 1, but the key has 2 correct choices"},
		{"on a single-choice item", SingleChoice, 1, "only multiple-response items"},
		{"on an ordering item", Ordering, 2, "only multiple-response items"},
	}
	for _, c := range bad {
		t.Run(c.name+" is refused", func(t *testing.T) {
			it := validItem(c.typ)
			it.MaxChoices = c.max
			err := it.Validate()
			e := errs.As(err)
			if e == nil || !strings.Contains(e.Fields["max_choices"], c.want) {
				t.Fatalf("Validate = %v (fields %v), want max_choices %q", err, e, c.want)
			}
		})
	}
}

func TestMaxChoicesIsContent(t *testing.T) {
	a, b := validItem(MultipleResponse), validItem(MultipleResponse)
	b.MaxChoices = 3
	if a.Hash() == b.Hash() {
		t.Error("a limit on the choices kept the hash")
	}
	// Items without a limit hash as before the field existed: the stored
	// hashes of the bank stay right.
	old := struct {
		Type    ItemType        `json:"type"`
		Text    map[string]Text `json:"text"`
		Choices []Choice        `json:"choices"`
		Left    []string        `json:"left"`
		Right   []string        `json:"right"`
		Key     Key             `json:"key"`
		Scoring Scoring         `json:"scoring"`
		Shuffle bool            `json:"shuffle"`
	}{a.Type, a.Text, a.Choices, a.Left, a.Right, a.Key, a.Scoring, a.Shuffle}
	nb, _ := json.Marshal(old)
	wb, _ := json.Marshal(struct {
		Type    ItemType        `json:"type"`
		Text    map[string]Text `json:"text"`
		Choices []Choice        `json:"choices"`
		Left    []string        `json:"left"`
		Right   []string        `json:"right"`
		Key     Key             `json:"key"`
		Scoring Scoring         `json:"scoring"`
		Shuffle bool            `json:"shuffle"`
		Max     int             `json:"max_choices,omitempty"`
	}{a.Type, a.Text, a.Choices, a.Left, a.Right, a.Key, a.Scoring, a.Shuffle, 0})
	if string(nb) != string(wb) {
		t.Error("no limit changes the hashed content")
	}

	t.Run("a limit of every choice is normalised to none", func(t *testing.T) {
		c := validItem(MultipleResponse)
		c.MaxChoices = len(c.Choices)
		c.Normalize()
		if c.MaxChoices != 0 || c.Hash() != validItem(MultipleResponse).Hash() {
			t.Errorf("MaxChoices = %d after Normalize, want 0 and the hash of no limit", c.MaxChoices)
		}
	})
	t.Run("the item input carries it", func(t *testing.T) {
		var in ItemInput
		if err := json.Unmarshal([]byte(`{"type":"multiple_response","max_choices":2}`), &in); err != nil {
			t.Fatal(err)
		}
		if in.Item().MaxChoices != 2 {
			t.Errorf("Item().MaxChoices = %d, want 2", in.Item().MaxChoices)
		}
	})
}

func TestScoreMaxChoices(t *testing.T) {
	plain := choiceItem(MultipleResponse, "A B C D", "A C", Scoring{Marks: 4, Penalty: 1})
	plain.MaxChoices = 2
	weighted := choiceItem(MultipleResponse, "A B C D", "A C", Scoring{Marks: 4, Penalty: 1,
		Weights: map[string]float64{"A": 2, "B": 1, "C": 2, "D": -1}, Lower: ptr(-2)})
	weighted.MaxChoices = 2
	noKey := choiceItem(MultipleResponse, "A B C D", "", Scoring{Marks: 4,
		Weights: map[string]float64{"A": 3, "B": 2, "C": 1}})
	noKey.MaxChoices = 2
	cases := []struct {
		name string
		it   *Item
		r    *Response
		want Result
	}{
		{"the key within the limit is right", plain, choose("A C"), right(4)},
		{"one wrong choice within the limit is wrong", plain, choose("A"), wrong(-1)},
		{"every choice is over the limit and wrong", plain, choose("A B C D"), wrong(-1)},
		{"three choices including the key are over the limit and wrong", plain, choose("A B C"), wrong(-1)},
		{"a weighted answer within the limit earns its weights", weighted, choose("A B"), partly(3)},
		{"a weighted answer over the limit earns the lower bound", weighted, choose("A B C"), wrong(-2)},
		{"an answer reaching the best two weights is correct", noKey, choose("A B"), right(4)},
		{"an answer over the limit is not correct however much it weighs", noKey, choose("A B C"), wrong(0)},
		{"nothing chosen is unanswered", plain, choose(""), blank(0)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Score(c.it, c.r)
			if err != nil {
				t.Fatal(err)
			}
			if !sameResult(got, c.want) {
				t.Errorf("Score = %+v, want %+v", got, c.want)
			}
		})
	}
	t.Run("Max counts only the best weights that fit", func(t *testing.T) {
		s, err := Compile(noKey)
		if err != nil {
			t.Fatal(err)
		}
		if s.Max() != 4 { // 3 + 2 clamped to Marks 4; without the limit also 4
			t.Errorf("Max = %g, want 4", s.Max())
		}
		it := choiceItem(MultipleResponse, "A B C D", "", Scoring{Marks: 10, Weights: map[string]float64{"A": 3, "B": 2, "C": 1}})
		it.MaxChoices = 2
		s, _ = Compile(it)
		if s.Max() != 5 {
			t.Errorf("Max with two of three positive weights = %g, want 5", s.Max())
		}
	})
}
