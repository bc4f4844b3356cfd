// Small synthesizable design for the yosys WASI benchmark (generic synth, no ABC).
module alu(input clk, input [2:0] op, input [15:0] a, input [15:0] b, output reg [31:0] y, output reg [7:0] cnt);
  always @(posedge clk) begin
    case (op)
      3'd0: y <= a + b;
      3'd1: y <= a - b;
      3'd2: y <= a * b;
      3'd3: y <= {16'd0, a & b};
      3'd4: y <= {16'd0, a | b};
      3'd5: y <= {16'd0, a ^ b};
      3'd6: y <= a << b[3:0];
      default: y <= {31'd0, a < b};
    endcase
    cnt <= cnt + 8'd1;
  end
endmodule
