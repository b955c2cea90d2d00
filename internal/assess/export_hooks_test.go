package assess

// SetExportPage sets how many items an export reads at a time, so tests
// cross page boundaries with few items; it returns a function restoring it.
func SetExportPage(n int) (restore func()) {
	old := exportPage
	exportPage = n
	return func() { exportPage = old }
}
