"""Document understanding: distrustful decoding, image quality, OCR and field extraction.

Every function here takes bytes or pixels and returns typed results or a DocumentProblem with a
reason code — never an exception out to the caller for bad input.
"""
