package assess

import "testing"

// benchPaper builds a 100-item paper shaped like a national exam: mostly
// single choice with +4/−1 and multiple response, a few of every other type.
// Responses mix right, wrong and blank answers, as real scripts do.
func benchPaper(b *testing.B) ([]*Scorer, []*Response) {
	var items []*Item
	var resps []*Response
	add := func(it *Item, r *Response) {
		items = append(items, it)
		resps = append(resps, r)
	}
	neet := Scoring{Marks: 4, Penalty: 1}
	for i := range 70 {
		it := choiceItem(SingleChoice, "A B C D", "C", neet)
		switch i % 5 {
		case 0, 1, 2:
			add(it, choose("C"))
		case 3:
			add(it, choose("A"))
		default:
			add(it, &Response{})
		}
	}
	for i := range 14 {
		sc := Scoring{Marks: 4, Penalty: 2}
		if i%2 == 0 { // JEE Advanced style: partial marks per right option
			sc = Scoring{Marks: 4, Penalty: 2, Weights: map[string]float64{"A": 1, "B": 1, "C": 1, "D": -2}}
		}
		it := choiceItem(MultipleResponse, "A B C D", "A B C", sc)
		add(it, choose([]string{"A B C", "A C", "B D", "C B A"}[i%4]))
	}
	for i := range 5 {
		add(numericItem(NumericKey{Value: 3.14, Tolerance: 0.01}, neet), answer([]string{"3.14", " ३.१४ ", "1,00,000", "3.2", "-0.5"}[i]))
	}
	for i := range 4 {
		add(textItem(TextKey{Accepted: []string{"प्रकाश संश्लेषण", "photosynthesis"}}, neet), answer([]string{"Photosynthesis", "प्रकाश  संश्लेषण", "respiration", "प्रकाश संश्लेषण"}[i]))
	}
	for i := range 4 {
		add(matchingItem(Scoring{Marks: 3, Penalty: 1, Partial: i%2 == 0}), pair("a", "1", "b", "2", "c", []string{"3", "4"}[i%2]))
	}
	for i := range 3 {
		add(choiceItem(Ordering, "A B C D", "A B C D", Scoring{Marks: 4, Partial: true}), choose([]string{"A B C D", "A B D C", "D C B A"}[i]))
	}
	if len(items) != 100 {
		b.Fatalf("paper has %d items, want 100", len(items))
	}
	scorers := make([]*Scorer, len(items))
	for i, it := range items {
		s, err := Compile(it)
		if err != nil {
			b.Fatalf("item %d: %v", i, err)
		}
		scorers[i] = s
	}
	return scorers, resps
}

// BenchmarkScorePaper scores one candidate's 100-item paper per op. Run:
//
//	go test -run XXX -bench ScorePaper -benchmem ./internal/assess/
func BenchmarkScorePaper(b *testing.B) {
	scorers, resps := benchPaper(b)
	b.ReportAllocs()
	var total float64
	for b.Loop() {
		for i, s := range scorers {
			total += s.Score(resps[i]).Score
		}
	}
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "items/s")
	if total == 0 {
		b.Fatal("the paper scored nothing")
	}
}

// BenchmarkScore scores one item of each kind, to see what each costs.
func BenchmarkScore(b *testing.B) {
	for _, tc := range []struct {
		name string
		it   *Item
		r    *Response
	}{
		{"single_choice", choiceItem(SingleChoice, "A B C D", "C", Scoring{Marks: 4, Penalty: 1}), choose("C")},
		{"multiple_response_weighted", choiceItem(MultipleResponse, "A B C D", "A B C", Scoring{Marks: 4, Weights: map[string]float64{"A": 1, "B": 1, "C": 1, "D": -2}}), choose("A C")},
		{"numeric_devanagari", numericItem(NumericKey{Value: 100000}, Scoring{Marks: 4}), answer("१,००,०००")},
		{"short_text_hindi", textItem(TextKey{Accepted: []string{"प्रकाश संश्लेषण"}}, Scoring{Marks: 4}), answer("प्रकाश  संश्लेषण")},
		{"matching", matchingItem(Scoring{Marks: 3, Partial: true}), pair("a", "1", "b", "2", "c", "4")},
		{"ordering", choiceItem(Ordering, "A B C D", "A B C D", Scoring{Marks: 4, Partial: true}), choose("A B D C")},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s, err := Compile(tc.it)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				s.Score(tc.r)
			}
		})
	}
}
