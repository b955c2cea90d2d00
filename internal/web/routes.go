package web

import "net/http"

// Register adds every page and the static files to mux. Unknown paths get
// the 404 page; the API registers its own, more specific, prefixes.
func (w *Web) Register(mux *http.ServeMux) {
	mux.Handle("GET /static/", w.assets)

	mux.HandleFunc("GET /{$}", w.home)
	mux.HandleFunc("GET /lang/{code}", w.switchLang)

	mux.HandleFunc("GET /signin", w.signInForm)
	mux.HandleFunc("POST /signin", w.signIn)
	mux.HandleFunc("GET /signup", w.signUpForm)
	mux.HandleFunc("POST /signup", w.signUp)
	mux.HandleFunc("POST /signout", w.signOut)
	mux.HandleFunc("GET /forgot-password", w.forgotForm)
	mux.HandleFunc("POST /forgot-password", w.forgot)
	mux.HandleFunc("GET /reset-password", w.resetForm)
	mux.HandleFunc("POST /reset-password", w.reset)

	mux.HandleFunc("GET /account", w.account)
	mux.HandleFunc("POST /account/profile", w.updateProfile)
	mux.HandleFunc("POST /account/password", w.changePassword)
	mux.HandleFunc("POST /account/sessions/{id}/revoke", w.revokeSession)
	mux.HandleFunc("POST /account/sessions/revoke-all", w.revokeAllSessions)
	mux.HandleFunc("POST /account/tokens", w.createToken)
	mux.HandleFunc("POST /account/tokens/{id}/revoke", w.revokeToken)

	mux.HandleFunc("GET /a/{code}", w.authority)
	mux.HandleFunc("POST /a/{code}", w.updateAuthority)
	mux.HandleFunc("POST /a/{code}/logo", w.uploadLogo)
	mux.HandleFunc("POST /a/{code}/logo/remove", w.removeLogo)
	mux.HandleFunc("GET /a/{code}/users", w.members)
	mux.HandleFunc("POST /a/{code}/users", w.addMember)
	mux.HandleFunc("GET /a/{code}/users/{id}", w.member)
	mux.HandleFunc("POST /a/{code}/users/{id}", w.setRoles)
	mux.HandleFunc("GET /a/{code}/audit", w.authorityAudit)

	mux.HandleFunc("GET /a/{code}/items", w.items)
	mux.HandleFunc("POST /a/{code}/items/bulk", w.bulkItems)
	mux.HandleFunc("GET /a/{code}/items/export", w.exportItems)
	mux.HandleFunc("GET /a/{code}/items/images", w.images)
	mux.HandleFunc("POST /a/{code}/items/images", w.uploadImage)
	mux.HandleFunc("GET /a/{code}/topics", w.topics)
	mux.HandleFunc("POST /a/{code}/topics", w.addTopic)
	mux.HandleFunc("POST /a/{code}/topics/remove", w.removeTopic)
	mux.HandleFunc("GET /a/{code}/items/new", w.newItemForm)
	mux.HandleFunc("POST /a/{code}/items/new", w.saveItem)
	mux.HandleFunc("POST /a/{code}/items/preview", w.previewFragment)
	mux.HandleFunc("GET /a/{code}/items/import", w.importForm)
	mux.HandleFunc("POST /a/{code}/items/import", w.uploadImport)
	mux.HandleFunc("GET /a/{code}/items/{id}", w.item)
	mux.HandleFunc("GET /a/{code}/items/{id}/edit", w.editItemForm)
	mux.HandleFunc("POST /a/{code}/items/{id}/edit", w.saveItem)
	mux.HandleFunc("POST /a/{code}/items/{id}/status", w.setItemStatus)
	mux.HandleFunc("POST /a/{code}/imports/{token}", w.commitImport)

	// Staff pages for tests and exams.
	mux.HandleFunc("GET /a/{code}/tests", w.tests)
	mux.HandleFunc("GET /a/{code}/tests/new", w.newTest)
	mux.HandleFunc("POST /a/{code}/tests/new", w.saveTest)
	mux.HandleFunc("GET /a/{code}/tests/{id}", w.testPage)
	mux.HandleFunc("POST /a/{code}/tests/{id}", w.saveTest)
	mux.HandleFunc("POST /a/{code}/tests/{id}/publish", w.publishTest)
	mux.HandleFunc("GET /a/{code}/exams", w.exams)
	mux.HandleFunc("POST /a/{code}/exams", w.scheduleExam)
	mux.HandleFunc("GET /a/{code}/exams/{id}", w.exam)
	mux.HandleFunc("POST /a/{code}/exams/{id}/shifts", w.addShift)
	mux.HandleFunc("POST /a/{code}/exams/{id}/candidates", w.uploadCandidates)
	mux.HandleFunc("GET /a/{code}/exams/{id}/candidates/template.csv", w.candidateTemplate)
	mux.HandleFunc("POST /a/{code}/exams/{id}/codes", w.issueCodes)
	mux.HandleFunc("POST /a/{code}/exams/{id}/extend", w.extendTime)
	mux.HandleFunc("POST /a/{code}/exams/{id}/results/compute", w.computeResults)
	mux.HandleFunc("POST /a/{code}/exams/{id}/results/publish", w.publishResults)
	mux.HandleFunc("GET /a/{code}/exams/{id}/histogram.svg", w.histogram)

	// Marking essays and deciding challenges of the answer key.
	mux.HandleFunc("GET /a/{code}/exams/{id}/marking", w.marking)
	mux.HandleFunc("POST /a/{code}/exams/{id}/marking/next", w.markNext)
	mux.HandleFunc("POST /a/{code}/exams/{id}/marking/scripts/{script}", w.markScript)
	mux.HandleFunc("POST /a/{code}/exams/{id}/marking/settings", w.markingSettings)
	mux.HandleFunc("GET /a/{code}/exams/{id}/challenges", w.challenges)
	mux.HandleFunc("POST /a/{code}/exams/{id}/challenges/window", w.challengeWindow)
	mux.HandleFunc("POST /a/{code}/exams/{id}/challenges/regrade", w.regradeNow)
	mux.HandleFunc("POST /a/{code}/exams/{id}/challenges/{item}/decision", w.decideChallenge)

	// Learners practise an authority's mock tests in the same runner.
	mux.HandleFunc("GET /a/{code}/practice", w.practice)
	mux.HandleFunc("POST /a/{code}/practice/{id}", w.practise)

	// The candidate's exam runner: a shell driven by the exam-day API.
	mux.HandleFunc("GET /exam", w.examRedirect)
	mux.HandleFunc("GET /exam/{$}", w.examRunner)
	mux.HandleFunc("GET /exam/sw.js", w.examServiceWorker)
	mux.HandleFunc("GET /exam/results", w.examResults)

	// Certificates: the staff pages, and the public verification pages.
	if w.cfg.Certify != nil {
		mux.HandleFunc("GET /a/{code}/certificates", w.certOverview)
		mux.HandleFunc("POST /a/{code}/certificates/key", w.rotateKey)
		mux.HandleFunc("GET /a/{code}/certificates/find", w.findCertificate)
		mux.HandleFunc("GET /a/{code}/certificates/preview", w.preview)
		mux.HandleFunc("POST /a/{code}/certificates/preview", w.preview)
		mux.HandleFunc("GET /a/{code}/certificates/types/new", w.newType)
		mux.HandleFunc("POST /a/{code}/certificates/types/new", w.saveType)
		mux.HandleFunc("GET /a/{code}/certificates/types/{type}", w.editType)
		mux.HandleFunc("POST /a/{code}/certificates/types/{type}", w.saveType)
		mux.HandleFunc("POST /a/{code}/certificates/types/{type}/archive", w.archiveType)
		mux.HandleFunc("GET /a/{code}/certificates/assets", w.certAssets)
		mux.HandleFunc("POST /a/{code}/certificates/assets", w.uploadAsset)
		mux.HandleFunc("GET /a/{code}/certificates/assets/{name}", w.assetFile)
		mux.HandleFunc("POST /a/{code}/certificates/assets/{name}/delete", w.deleteAsset)
		mux.HandleFunc("GET /a/{code}/certificates/batches/new", w.newBatch)
		mux.HandleFunc("POST /a/{code}/certificates/batches", w.createBatch)
		mux.HandleFunc("GET /a/{code}/certificates/batches/{id}", w.batch)
		mux.HandleFunc("POST /a/{code}/certificates/batches/{id}/{action}", w.batchAction)
		mux.HandleFunc("GET /a/{code}/certificates/batches/{id}/events", w.batchEvents)
		mux.HandleFunc("GET /a/{code}/certificates/batches/{id}/rejected.csv", w.rejections)
		mux.HandleFunc("GET /a/{code}/certificates/c/{doc}", w.certificate)
		mux.HandleFunc("GET /a/{code}/certificates/c/{doc}/file/{kind}", w.certificateFile)
		mux.HandleFunc("POST /a/{code}/certificates/c/{doc}/revoke", w.revokeCertificate)
		mux.HandleFunc("POST /a/{code}/certificates/c/{doc}/reissue", w.reissueCertificate)

		mux.HandleFunc("GET /v/{id}", w.verifyStatus)
		mux.HandleFunc("GET /verify", w.verifyForm)
		mux.HandleFunc("POST /verify", w.verifyPost)
	}

	mux.HandleFunc("GET /admin/authorities", w.authorities)
	mux.HandleFunc("POST /admin/authorities", w.createAuthority)
	mux.HandleFunc("GET /admin/audit", w.platformAudit)
	mux.HandleFunc("POST /admin/audit/verify", w.verifyAudit)
	mux.HandleFunc("GET /admin/outbox", w.outbox)

	mux.HandleFunc("/", w.notFound)
}
