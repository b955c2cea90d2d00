package analysis

import "sync"

// Report is the whole analysis of an exam's attempts.
type Report struct {
	Ranking *Ranking
	Items   *ItemReport
}

// Analyse ranks attempts (Rank) and analyses their items (AnalyseItems),
// the two side by side on their own goroutines: they only read attempts.
func Analyse(exam Exam, attempts []Attempt) (*Report, error) {
	const op = "analysis: analyse"
	if err := checkAttempts(op, attempts, len(exam.Sections)); err != nil {
		return nil, err
	}
	var (
		rep      Report
		rankErr  error
		itemsErr error
		wg       sync.WaitGroup
	)
	wg.Go(func() { rep.Ranking, rankErr = rank(op, &exam, attempts) })
	rep.Items, itemsErr = analyseItems(op, attempts)
	wg.Wait()
	if rankErr != nil {
		return nil, rankErr
	}
	if itemsErr != nil {
		return nil, itemsErr
	}
	return &rep, nil
}
