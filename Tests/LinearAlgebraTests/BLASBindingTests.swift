import LinearAlgebra
import XCTest

/// GSL's reference CBLAS also defines `cblas_dgemm`; the toolkit must run on OpenBLAS.
final class BLASBindingTests: XCTestCase {
    func testDgemmIsServedByOpenBLAS() throws {
        let path = try XCTUnwrap(BLASBackend.libraryServing("cblas_dgemm"), "cblas_dgemm is not bound")
        XCTAssertTrue(path.contains("openblas"), "cblas_dgemm is served by \(path), not OpenBLAS")
        XCTAssertFalse(path.contains("gslcblas"))
    }

    func testDsyrkIsServedByOpenBLAS() throws {
        let path = try XCTUnwrap(BLASBackend.libraryServing("cblas_dsyrk"))
        XCTAssertTrue(path.contains("openblas"), "cblas_dsyrk is served by \(path)")
    }
}
