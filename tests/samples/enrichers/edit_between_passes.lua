-- Test fixture for hot reload inside one tshark process (`tshark -2 -X lua_script:<this file>`):
-- when the second pass starts, copies the files named in TRACKERSHARK_TEST_EDITS
-- ("from=to;from=to"), then waits past the plugin's once-a-second check for changes.
local edits = os.getenv("TRACKERSHARK_TEST_EDITS") or ""
local done = false
local editor = Proto("test_edit_between_passes", "Test: edit files between the passes")

function editor.dissector(tvb, pinfo, tree)
    if done or not pinfo.visited then return end
    done = true
    for from, to in edits:gmatch("([^=;]+)=([^;]+)") do
        local text = assert(io.open(from, "rb")):read("*a")
        local out = assert(io.open(to, "wb"))
        out:write(text)
        out:close()
    end
    os.execute("sleep 1.2")
end
register_postdissector(editor)
