package dev.portcullis.policy.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.portcullis.policy.parse.ParseResult;
import dev.portcullis.policy.parse.PolicyError;
import dev.portcullis.policy.parse.PolicyParser;
import java.nio.charset.StandardCharsets;

/**
 * The policy and shares parsers under arbitrary text: they never throw (every mistake is a
 * {@link PolicyError} in the result, the documented error type), and every error names a line.
 */
class PolicyParserFuzzTest {
    private static final PolicyParser PARSER = new PolicyParser();

    @FuzzTest(maxDuration = "15s")
    void everyProblemIsAPolicyErrorWithALine(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        check(PARSER.parsePolicy("fuzz.yaml", text));
        check(PARSER.parseShares("fuzz.yaml", text));
        check(PARSER.parsePolicy("fuzz.json", text));
    }

    private static void check(ParseResult<?> result) {
        for (PolicyError error : result.errors()) {
            assertThat(error.line()).as("line of %s", error).isPositive();
            assertThat(error.file()).isNotEmpty();
            assertThat(error.message()).isNotBlank();
        }
    }
}
